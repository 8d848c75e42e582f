/*
 * notify.h - telling the service manager how the daemon is doing
 *
 * The readiness protocol of systemd's Type=notify, without libsystemd:
 * when the environment names a socket (NOTIFY_SOCKET: a path, or an
 * abstract name written with a leading '@'), each message ("READY=1",
 * "STATUS=...", "STOPPING=1", "WATCHDOG=1", several joined by newlines)
 * is one datagram sent to it. Without NOTIFY_SOCKET every call is a
 * no-op. A message that cannot be sent is dropped; the first such
 * failure is logged (a warning), later ones are not.
 *
 * The watchdog: when WATCHDOG_USEC is set (and WATCHDOG_PID, if set,
 * is this process), a libev timer sends WATCHDOG=1 every half of that
 * interval while the loop runs.
 */
#ifndef UTCPD_NOTIFY_H
#define UTCPD_NOTIFY_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

struct daemon;

/* Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and opens the
 * socket the messages are sent from. Returns 0 (also when NOTIFY_SOCKET
 * is unset: notifications are then off), or a negative errno for a
 * NOTIFY_SOCKET that cannot be used (logged; notifications are off). */
int notify_open(void);

/* Closes the socket; later messages are dropped. */
void notify_close(void);

/* True when NOTIFY_SOCKET named a usable socket. */
bool notify_enabled(void);

/* Sends `msg` (one or more "KEY=VALUE" lines) as one datagram. Returns
 * 0, -ENOTCONN when notifications are off, or the negative errno of
 * sendto() (the first failure is logged). */
int notify_send(const char *msg);

/* Sends "STOPPING=1" with "STATUS=stopping"; later STATUS updates are
 * not sent (the interfaces going down are the stop, not news). */
void notify_stopping(void);

/* Around a reload (SIGHUP): `begin` sends "RELOADING=1" with the
 * monotonic time (MONOTONIC_USEC, as Type=notify-reload asks), the end
 * "READY=1" again. Both only once READY=1 was sent: a reload during
 * start-up is not a state the service manager should see. */
void notify_reload(bool begin);

/* Sends "STATUS=" with each interface's state (notify_status_format())
 * when it differs from the last one sent, with READY=1 in the same
 * datagram when `ready` is true and READY=1 was not sent yet. */
void notify_status_update(struct daemon *d);

/* Formats each interface's state into buf: "tap0 10.0.0.2/24 (dhcp),
 * tap1 waiting for a lease", ("static" for an address from the
 * configuration). Returns buf. */
char *notify_status_format(const struct daemon *d, char *buf, size_t len);

/* The watchdog interval in microseconds that the environment asks for
 * (0: none). */
uint64_t notify_watchdog_usec(void);

/* Starts (when asked for: notify_watchdog_usec() != 0) the timer that
 * sends WATCHDOG=1 every half interval on `loop`. */
void notify_watchdog_start(struct ev_loop *loop);

/* Stops that timer. */
void notify_watchdog_stop(struct ev_loop *loop);

#endif
