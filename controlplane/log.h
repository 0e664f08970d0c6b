/*
 * gw-control's log: one line per event on stderr, "gw-control: <level>:
 * <message>".  Callers name merchants by id and sessions by number and pass
 * untrusted bytes through gw_printable first; this module never sees keys.
 */
#ifndef GW_CTL_LOG_H
#define GW_CTL_LOG_H

enum gw_log_level {
	GW_LOG_ERR,
	GW_LOG_WARN,
	GW_LOG_INFO,
	GW_LOG_DEBUG,
};

/* Lines above @level are dropped.  The default is GW_LOG_INFO. */
void gw_log_set_level(enum gw_log_level level);

/* Writes one line atomically with respect to other threads. */
__attribute__((format(printf, 2, 3))) void gw_log_emit(enum gw_log_level level,
						       const char *fmt, ...);

#define log_err(...)   gw_log_emit(GW_LOG_ERR, __VA_ARGS__)
#define log_warn(...)  gw_log_emit(GW_LOG_WARN, __VA_ARGS__)
#define log_info(...)  gw_log_emit(GW_LOG_INFO, __VA_ARGS__)
#define log_debug(...) gw_log_emit(GW_LOG_DEBUG, __VA_ARGS__)

#endif
