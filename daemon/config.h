/*
 * config.h - utcpd.conf and the command line
 *
 * The configuration is an INI file (inih) with a [daemon] section and
 * one [interface NAME] section per TAP. Command-line flags override keys
 * (--name, --socket, ...). Any unknown section or key, or a bad value,
 * is reported as FILE:LINE: reason, and the daemon exits with status 2.
 */
#ifndef UTCPD_CONFIG_H
#define UTCPD_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../stack/stack.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_PATH_MAX 108 /* sizeof(sun_path) */
#define CONFIG_DNS_MAX 3
#define CONFIG_DEFAULT_SOCKET "/run/utcpd/utcpd.sock"
#define CONFIG_DEFAULT_PATH "/etc/utcpd/utcpd.conf"

struct config_interface {
	char name[STACK_IF_NAME_MAX]; /* the TAP device */
	uint8_t mac[6];
	bool has_mac;    /* false: a random locally administered MAC */
	uint32_t mtu;    /* default 1500 */
	bool dhcp;       /* default yes once DHCP exists; `no` needed now */
	uint32_t addr;   /* host order; 0 = none */
	uint8_t prefix_len;
	uint32_t gateway; /* 0 = none */
	uint32_t dns[CONFIG_DNS_MAX];
	int ndns;
};

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE };

struct config {
	char name[CONFIG_NAME_MAX];        /* [daemon] name */
	char socket_path[CONFIG_PATH_MAX]; /* [daemon] socket */
	mode_t socket_mode;                /* [daemon] socket_mode, 0660 */
	enum log_target log_target;        /* [daemon] log */
	char log_file[CONFIG_PATH_MAX * 4];
	int log_level;                     /* syslog priority, LOG_INFO */
	struct config_interface ifs[STACK_IF_MAX];
	int nifs;
	struct stack_limits limits;
};

#endif
