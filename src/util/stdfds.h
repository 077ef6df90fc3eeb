/*
 * stdfds.h - make file descriptors 0, 1 and 2 valid before anything else
 * is opened, so that no file a program opens later becomes its stdin,
 * stdout or stderr by accident (some callers, mailutils among them,
 * start sendmail with fds 1 and 2 closed).
 */
#ifndef POSTERN_STDFDS_H
#define POSTERN_STDFDS_H

#include <stdbool.h>

/* stdfds_ensure - open /dev/null on each closed fd of 0-2; false if it cannot */
bool stdfds_ensure(void);

#endif
