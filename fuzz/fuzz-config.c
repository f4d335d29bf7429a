/* libFuzzer target: the repository config parser. */
#include <stddef.h>
#include <stdint.h>

#include "backup/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct repo_config c;

	fmt_config_dec(data, size, &c);
	return 0;
}
