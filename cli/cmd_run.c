/* cmd_run.c — the commands that change the database: upgrade, downgrade,
 * stamp, repair. Each only reads its arguments and calls the library;
 * progress, the summary, the JSON result and signals are output.c's
 * (cli_out_begin / cli_out_end), the same for all four. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "cli.h"
#include "output.h"

int cmd_upgrade(cli *c)
{
    unsigned flags = 0;
    const char *target = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strcmp(a, "--allow-missing") == 0)
            flags |= DBMIG_ALLOW_MISSING;
        else if (strcmp(a, "--resume") == 0)
            flags |= DBMIG_RESUME;
        else if (strcmp(a, "--verify") == 0)
            flags |= DBMIG_VERIFY;
        else if (a[0] == '-' && a[1] == '-')
            return cli_usage_error(c, "unknown option '%s' for upgrade", a);
        else if (target)
            return cli_usage_error(c, "upgrade takes one target, got another: '%s'", a);
        else
            target = a;
    }
    cli_out_begin(c->out, c->h, "upgrade", target ? target : "head", c->dry_run, !c->sql);
    int rc = dbmig_upgrade(c->h, target ? target : "head", flags);
    char err[4600]; /* dump-schema (cmd_schema.c), before the summary that reports it */
    return cli_out_end_after(c->out, c->h, rc, cli_dump_after(c, rc, err, sizeof err));
}

int cmd_downgrade(cli *c)
{
    /* "-1" is a target, not an option. */
    unsigned flags = 0;
    const char *target = NULL;
    int ntargets = 0;
    for (int i = 0; i < c->nargs; i++) {
        if (strcmp(c->args[i], "--allow-missing") == 0)
            flags |= DBMIG_ALLOW_MISSING;
        else
            target = c->args[i], ntargets++;
    }
    if (ntargets != 1) {
        cli_errorf(c, EXIT_USAGE, "downgrade needs exactly one target (-1, base, an id)");
        fputs(cli_help_for("downgrade"), stderr);
        return EXIT_USAGE;
    }
    cli_out_begin(c->out, c->h, "downgrade", target, c->dry_run, !c->sql);
    int rc = dbmig_downgrade(c->h, target, flags);
    char err[4600];
    return cli_out_end_after(c->out, c->h, rc, cli_dump_after(c, rc, err, sizeof err));
}

int cmd_stamp(cli *c)
{
    int e = cli_need_args(c, 1, 1);
    if (e)
        return e;
    cli_out_begin(c->out, c->h, "stamp", c->args[0], c->dry_run, 0);
    return cli_out_end(c->out, c->h, dbmig_stamp(c->h, c->args[0]));
}

int cmd_repair(cli *c)
{
    int what = 0;
    const char *id = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        int w = strcmp(a, "--checksums") == 0   ? DBMIG_REPAIR_CHECKSUMS
                : strcmp(a, "--applied") == 0   ? DBMIG_REPAIR_APPLIED
                : strcmp(a, "--reverted") == 0  ? DBMIG_REPAIR_REVERTED
                : strncmp(a, "--applied=", 10) == 0  ? -DBMIG_REPAIR_APPLIED
                : strncmp(a, "--reverted=", 11) == 0 ? -DBMIG_REPAIR_REVERTED
                                                     : 0;
        if (!w)
            return cli_usage_error(c, "unknown argument '%s' for repair", a);
        if (what)
            return cli_usage_error(c, "repair takes one of --checksums, --applied ID, --reverted ID%s", "");
        if (w < 0) {
            what = -w;
            id = strchr(a, '=') + 1;
        } else {
            what = w;
            if (w != DBMIG_REPAIR_CHECKSUMS) {
                if (i + 1 >= c->nargs)
                    return cli_usage_error(c, "%s needs a revision id", a);
                id = c->args[++i];
            }
        }
    }
    if (!what)
        return cli_usage_error(c, "repair needs one of --checksums, --applied ID, --reverted ID%s", "");
    cli_out_begin(c->out, c->h, "repair", id, c->dry_run, 0);
    return cli_out_end(c->out, c->h, dbmig_repair(c->h, what, id));
}
