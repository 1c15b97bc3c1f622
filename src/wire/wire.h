/*
 * What every wire parser returns: UST_WIRE_OK or a reason the bytes were rejected.
 * Parsers never read outside [buf, buf+len), never allocate, never keep state.
 * Representations (struct ust_*_repr) hold fields in host order; IPv4 addresses are
 * host-order uint32_t; payload pointers point into the caller's buffer.
 */
#ifndef UST_WIRE_WIRE_H
#define UST_WIRE_WIRE_H

#define UST_WIRE_ERRORS(X)                                                              \
	X(OK, "ok")                                                                     \
	X(TRUNCATED, "buffer shorter than the header")                                  \
	X(BAD_LENGTH, "length field disagrees with the buffer")                         \
	X(BAD_VERSION, "unsupported version")                                           \
	X(BAD_HEADER_LEN, "header length field out of range (IHL < 5, data offset < 5)") \
	X(BAD_CHECKSUM, "checksum mismatch")                                            \
	X(BAD_OPTION, "option overruns the header or has an invalid length")           \
	X(BAD_ADDRESS, "address not valid in this position")                            \
	X(BAD_FRAGMENT, "fragment offset/length out of range")                          \
	X(UNSUPPORTED, "valid but unsupported (hardware/protocol type, ICMP type)")     \
	X(BAD_FLAGS, "invalid flag combination")                                        \
	X(NO_SPACE, "output buffer too small")

enum ust_wire_error {
#define UST_WIRE_ENUM(name, text) UST_WIRE_##name,
	UST_WIRE_ERRORS(UST_WIRE_ENUM)
#undef UST_WIRE_ENUM
	UST_WIRE_ERROR_COUNT
};

/* Short stable name ("TRUNCATED") and human text for a reason code. */
const char *ust_wire_error_name(enum ust_wire_error err);
const char *ust_wire_error_text(enum ust_wire_error err);

#endif
