#ifndef CHATBOTS_CFASTCGI_SHIM_H
#define CHATBOTS_CFASTCGI_SHIM_H
#include <fcgiapp.h>
#include <signal.h>
#include <string.h>
#include <pthread.h>

/* Signal plumbing stays in C: Swift code must never run inside a signal handler.
   The wake signal (SIGUSR1) has a no-op handler installed WITHOUT SA_RESTART, so a
   worker blocked in accept() returns EINTR; with FCGI_FAIL_ACCEPT_ON_INTR and
   FCGX_ShutdownPending() set, FCGX_Accept_r then returns -1 and the worker exits. */
static void cfastcgi_wake_handler(int signo) { (void)signo; }

/* Ignores SIGPIPE and installs the wake handler. Call before FCGX_Init so libfcgi
   keeps our handlers (it only installs its own over SIG_DFL). */
static inline int cfastcgi_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) != 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cfastcgi_wake_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: accept() must return EINTR */
    return sigaction(SIGUSR1, &sa, NULL);
}

/* Blocks SIGTERM/SIGINT/SIGHUP in the calling thread (threads created afterwards inherit it). */
static inline int cfastcgi_block_stop_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    return pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* Waits up to timeout_ms for SIGTERM/SIGINT/SIGHUP (blocked beforehand). Returns the signal, 0 on timeout. */
static inline int cfastcgi_wait_stop_signal(long timeout_ms) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };
    int s = sigtimedwait(&set, NULL, &ts);
    return s < 0 ? 0 : s;
}

static inline int cfastcgi_wake_thread(pthread_t thread) { return pthread_kill(thread, SIGUSR1); }

/* `in` is a Swift keyword; accessors keep the stream fields readable. */
static inline FCGX_Stream *_Nullable cfastcgi_in(FCGX_Request *_Nonnull r) { return r->in; }
static inline FCGX_Stream *_Nullable cfastcgi_out(FCGX_Request *_Nonnull r) { return r->out; }
static inline FCGX_ParamArray _Nullable cfastcgi_envp(FCGX_Request *_Nonnull r) { return r->envp; }
#endif
