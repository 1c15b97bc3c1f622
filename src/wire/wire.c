/* Names and texts of the wire parsers' reason codes (wire/wire.h). */
#include "wire/wire.h"

static const char *const error_names[] = {
#define UST_WIRE_NAME(name, text) #name,
	UST_WIRE_ERRORS(UST_WIRE_NAME)
#undef UST_WIRE_NAME
};

static const char *const error_texts[] = {
#define UST_WIRE_TEXT(name, text) text,
	UST_WIRE_ERRORS(UST_WIRE_TEXT)
#undef UST_WIRE_TEXT
};

const char *ust_wire_error_name(enum ust_wire_error err)
{
	return (unsigned)err < UST_WIRE_ERROR_COUNT ? error_names[err] : "UNKNOWN";
}

const char *ust_wire_error_text(enum ust_wire_error err)
{
	return (unsigned)err < UST_WIRE_ERROR_COUNT ? error_texts[err] : "unknown reason";
}
