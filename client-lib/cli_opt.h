/*
 * cli_opt.h - naming the option a command line got wrong, for the
 * client programs (utcpctl, utcp-nc, utcp-run)
 *
 * Each program reports a bad command line in one line that names what
 * was typed; getopt_long() says only the letter. The daemon keeps its
 * own copy (daemon/main.c): it does not include client-lib/.
 */
#ifndef UTCP_CLI_OPT_H
#define UTCP_CLI_OPT_H

/*
 * The option getopt_long() refused with '?', as written. A letter that
 * is not one of the program's short options (`shorts`) was typed as
 * one, and its group may go on ("-xj": optind has not moved past it),
 * so it is named by itself (into buf); anything else came from a long
 * option ("--bogus", or "--help=x", refused with its letter), which
 * optind has passed, and is argv's word.
 */
const char *refused_option(const char *shorts, char **argv, char buf[3]);

#endif
