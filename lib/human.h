/* Human-readable numbers for terminal output. */
#ifndef ANEMONE_HUMAN_H
#define ANEMONE_HUMAN_H

#include <stdint.h>

/* "512 B", "1.5 KiB", "381.2 MiB", "1.00 GiB": at most 15 characters. */
void human_size(char out[16], uint64_t n);

#endif
