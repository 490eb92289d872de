// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* codefer-dump: pending defers and held pool connections per coroutine, from a core file.
 *
 * It runs the same census walker codefer-top runs at attach time, over the core's memory
 * (code and read-only data come from the mapped files the core names). The executable
 * defaults to the one the core's NT_FILE note names; it must match the core.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "escape.h"
#include "report.h"
#include "target.h"

static const char usage[] =
	"Usage: codefer-dump [--json] [-r RUNTIME] [--debug-dir DIR] CORE [EXECUTABLE]\n"
	"Shows each coroutine's pending defers and held pool connections in a core file.\n"
	"\n"
	"  -j, --json           JSON instead of text\n"
	"  -r, --runtime NAME   the coroutine runtime (default: detected)\n"
	"      --debug-dir DIR  where to find the executable by the core's build-id when the\n"
	"                       one at its path is missing or was replaced (DIR/.build-id/xx/...,\n"
	"                       DIR/NAME, or any file in DIR or one level below)\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 ok; 2 bad command line; 3 core or executable unreadable or missing;\n"
	"5 no supported runtime in the core; 6 a symbol the runtime's walker needs is missing;\n"
	"8 truncated or corrupt core, or a core from another binary (both build-ids said);\n"
	"1 other failures.\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "runtime", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "debug-dir", required_argument, NULL, 'D' },
		{ 0 },
	};
	struct report_opts o = { 0 };
	char err[1024] = "", safe[2048];
	int opt, ret;

	opterr = 0;	/* every error is one line: ours, not getopt's plus the usage */
	while ((opt = getopt_long(argc, argv, "jr:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			o.json = 1;
			break;
		case 'r':
			o.runtime = optarg;
			break;
		case 'D':
			o.debug_dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "codefer-dump: bad option %s (see codefer-dump --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind < 1 || argc - optind > 2) {
		fputs("codefer-dump: expected CORE [EXECUTABLE] (see codefer-dump --help)\n", stderr);
		return EXIT_USAGE;
	}
	o.core = argv[optind];
	o.exe = argc - optind == 2 ? argv[optind + 1] : NULL;
	ret = report_run(&o, stdout, err, sizeof(err));
	if (ret) {
		/* The message can quote paths and names read from the core. */
		tty_str(safe, sizeof(safe), err);
		fprintf(stderr, "codefer-dump: %s\n", safe);
	}
	return ret;
}
