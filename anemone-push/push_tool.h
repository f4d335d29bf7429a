/* anemone-push: the producer of the stream, when run by push itself. */
#ifndef ANEMONE_PUSH_TOOL_H
#define ANEMONE_PUSH_TOOL_H

#include <sys/types.h>

struct producer {
	const char *name;	/* argv[0], for messages */
	pid_t pid;		/* -1 once reaped */
	int fd;			/* the read end of its stdout */
};

/* Start ARGV (searched in PATH) with its stdout into a pipe; 0 or -1. */
int producer_start(struct producer *pr, char **argv);

/* Close the pipe and wait for the producer: 0 when it exited 0, else -1
 * with lasterr saying how it ended. */
int producer_wait(struct producer *pr);

#endif
