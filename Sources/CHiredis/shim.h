#ifndef CHATBOTS_CHIREDIS_SHIM_H
#define CHATBOTS_CHIREDIS_SHIM_H
#include <sys/time.h>
#include <hiredis/hiredis.h>

/* redisContext.errstr is char[128], which Swift imports as a 128-tuple. */
static inline const char *_Nonnull chiredis_errstr(const redisContext *_Nonnull c) { return c->errstr; }
static inline int chiredis_err(const redisContext *_Nonnull c) { return c->err; }
#endif
