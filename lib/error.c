#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char msg[1024];

int
fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
fail_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

const char *
lasterr(void)
{
	return msg[0] ? msg : "unknown error";
}

int
fail_ctx(const char *fmt, ...)
{
	char prev[sizeof(msg)], pre[512];
	va_list ap;

	snprintf(prev, sizeof(prev), "%s", lasterr());
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	return fail("%s: %s", pre, prev);
}
