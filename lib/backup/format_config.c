/* The config file, in clear: magic, version, repo id, check MAC. */
#include <string.h>

#include "error.h"
#include "backup/format.h"

static const uint8_t config_magic[8] = "ANEMREPO";

void
fmt_config_enc(uint8_t out[CONFIG_LEN], const struct repo_config *c)
{
	memcpy(out, config_magic, 8);
	le32enc(out + 8, c->version);
	memcpy(out + 12, c->repo_id, REPO_ID_LEN);
	memcpy(out + 28, c->check, 32);
}

int
fmt_config_dec(const uint8_t *b, size_t n, struct repo_config *c)
{
	if (n < 8 || memcmp(b, config_magic, 8) != 0)
		return fail("not an anemone repository config");
	if (n < 12)
		return fail("config truncated");
	c->version = le32dec(b + 8);
	if (c->version != REPO_VERSION)
		return fail("repository format version %u (this anemone "
		    "reads version %u)", c->version, REPO_VERSION);
	if (n != CONFIG_LEN)
		return fail("config is %zu bytes, want %d", n, CONFIG_LEN);
	memcpy(c->repo_id, b + 12, REPO_ID_LEN);
	memcpy(c->check, b + 28, 32);
	return 0;
}
