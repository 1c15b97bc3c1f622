/*
 * Internet checksum (RFC 1071): full, IPv4 pseudo-header, and incremental update (RFC 1624).
 * ust_csum_partial sums at least 8 bytes per step. Sums are 32-bit one's-complement
 * accumulators ("partial"); ust_csum_fold turns one into the final 16-bit field value.
 * All values are in network byte order as 16-bit words read big-endian: the result of
 * ust_csum_fold is written with ust_put_be16.
 */
#ifndef UST_WIRE_CHECKSUM_H
#define UST_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at data to the running sum (start with 0). Odd lengths are padded with a zero byte. */
uint32_t ust_csum_partial(const void *data, size_t len, uint32_t sum);

/* Fold a running sum to 16 bits and complement it: the value to store in the header. */
uint16_t ust_csum_fold(uint32_t sum);

/* Checksum of one buffer: ust_csum_fold(ust_csum_partial(data, len, 0)). */
uint16_t ust_csum(const void *data, size_t len);

/* Running sum of the IPv4 pseudo-header (addresses host order, l4_len = L4 header + payload). */
uint32_t ust_csum_pseudo_ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);

/* RFC 1624 eqn. 3: new checksum field after a 16-bit or 32-bit word changed from old to new. */
uint16_t ust_csum_update16(uint16_t csum, uint16_t old_word, uint16_t new_word);
uint16_t ust_csum_update32(uint16_t csum, uint32_t old_word, uint32_t new_word);

#endif
