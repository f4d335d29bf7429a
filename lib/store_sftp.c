/* Placeholder until the SFTP backend lands (issue: push/pull over SFTP). */
#include "error.h"
#include "store.h"

struct store *
store_sftp_open(const char *url, const struct store_opts *o)
{
	(void)o;
	fail("%s: sftp:// repositories are not supported yet", url);
	return NULL;
}
