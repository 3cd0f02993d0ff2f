#ifndef CHATBOTS_CLIBPQ_SHIM_H
#define CHATBOTS_CLIBPQ_SHIM_H
#include <postgresql/libpq-fe.h>

/* PG_DIAG_* are character literals ('C'), which Swift does not import. */
static const int clibpq_diag_sqlstate = 'C';
static const int clibpq_diag_message_primary = 'M';
static const int clibpq_diag_constraint_name = 'n';

static void clibpq_ignore_notice(void *_Nullable arg, const char *_Nonnull message) { (void)arg; (void)message; }
/* Routes NOTICEs (e.g. from CREATE ... IF NOT EXISTS) away from stderr. */
static inline void clibpq_silence_notices(PGconn *_Nonnull conn) { PQsetNoticeProcessor(conn, clibpq_ignore_notice, NULL); }
#endif
