/*
 * posternd.c - the delivery worker: picks up queued mail and forwards it
 * to the configured smarthost, retrying with backoff and bouncing what
 * cannot be delivered.
 *
 * Not implemented yet: this program refuses to run and exits
 * EX_UNAVAILABLE (69) rather than pretend to do its job.
 */
#include "config.h"

#include <sysexits.h>

#include "log.h"

int
main(int argc, char **argv)
{
	(void)argc;
	log_init(argv[0] ? argv[0] : "posternd", LOG_TO_STDERR);
	log_warn("not implemented yet");
	return EX_UNAVAILABLE;
}
