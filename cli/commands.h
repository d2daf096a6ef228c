/* commands.h: one function per subcommand, in the table of cli/main.c. */
#ifndef FRIDAY_COMMANDS_H
#define FRIDAY_COMMANDS_H

/* Exit codes of the CLI contract. */
#define EXIT_WRITTEN 0   /* the archive was written, whatever it found */
#define EXIT_FAILURE_ 1  /* something failed */
#define EXIT_USAGE 2     /* bad usage */

struct command {
	const char *name;
	const char *args;      /* synopsis after the name */
	const char *summary;
	int (*run)(int argc, char **argv);
	const char *help;      /* the --help text after the synopsis */
};

extern const struct command commands[];

int cmd_run(int argc, char **argv);
int cmd_guide(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_caps(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Prints "friday: CMD: reason" and returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the --help of a command. */
void command_help(const char *name);
/* True when argv holds -h or --help. */
int wants_help(int argc, char **argv);

#endif
