/* Human-readable numbers and times for output and messages. */
#ifndef ANEMONE_HUMAN_H
#define ANEMONE_HUMAN_H

#include <stdint.h>

/* "512 B", "1.5 KiB", "381.2 MiB", "1.00 GiB": at most 15 characters. */
void human_size(char out[16], uint64_t n);

/* A time in ns since 1970 as "2026-12-03T18:47:17Z" (UTC). */
void human_time(char out[32], uint64_t ns);

#endif
