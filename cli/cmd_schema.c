/* cmd_schema.c — the schema commands (SPEC section 12): `schema dump`, and
 * the atomic file writer that `schema dump -o FILE` and the config key
 * `dump-schema` share; `drift`; the config key `dump-schema` (the dump after a
 * successful upgrade or downgrade).
 *
 * Why it is built this way:
 *   - `schema dump --format sql|json` is the command's own option (args.c
 *     reads a command's options before the global ones), because its
 *     values are not the global --format's (text|json); a global
 *     `--format json` (or DBMIG_FORMAT=json) still picks JSON, anything
 *     else SQL.
 *   - A file is written as a temporary file in the same folder and then
 *     renamed over the target, so a reader (a code review, a CI diff) never
 *     sees half a dump, and a failed write leaves the old file as it was.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_write_atomic(const char *path, const char *text, char *err, size_t errcap)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(err, errcap, "cannot write %s: out of memory", path);
        return -1;
    }
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errcap, "cannot write %s: cannot create a temporary file beside it: %s",
                 path, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t um = umask(0);
    umask(um);
    size_t len = strlen(text), off = 0;
    int e = fchmod(fd, 0666 & ~um) != 0 ? errno : 0;
    while (!e && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            off += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        snprintf(err, errcap, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return e ? -1 : 0;
}

/* `schema dump [--format sql|json] [-o FILE]`: its options. */
static int dump_args(cli *c, int *format, const char **file)
{
    *format = c->json ? DBMIG_SCHEMA_JSON : DBMIG_SCHEMA_SQL;
    *file = NULL;
    for (int i = 1; i < c->nargs; i++) {
        const char *a = c->args[i], *v = NULL;
        int is_format = strcmp(a, "--format") == 0, is_out = strcmp(a, "-o") == 0 ||
                                                             strcmp(a, "--output") == 0;
        if (strncmp(a, "--format=", 9) == 0)
            is_format = 1, v = a + 9;
        else if (strncmp(a, "--output=", 9) == 0)
            is_out = 1, v = a + 9;
        else if ((is_format || is_out) && i + 1 < c->nargs)
            v = c->args[++i];
        if (!is_format && !is_out) {
            cli_errorf(c, EXIT_USAGE, "schema dump takes no argument '%s'", a);
            fputs(cli_help_for("schema"), stderr);
            return EXIT_USAGE;
        }
        if (!v || !*v)
            return cli_usage_error(c, "%s of schema dump needs a value", a);
        if (is_out)
            *file = v;
        else if (strcmp(v, "sql") == 0 || strcmp(v, "json") == 0)
            *format = v[0] == 's' ? DBMIG_SCHEMA_SQL : DBMIG_SCHEMA_JSON;
        else
            return cli_usage_error(c, "bad value '%s' for schema dump --format: expected sql or json",
                                   v);
    }
    return EXIT_OK;
}

static int cmd_schema_dump(cli *c)
{
    int format;
    const char *file;
    int e = dump_args(c, &format, &file);
    if (e)
        return e;
    c->json = format == DBMIG_SCHEMA_JSON; /* its own --format decides (main.c's fallback) */
    char *text = NULL;
    int rc = dbmig_schema_dump(c->h, format, &text);
    if (rc != DBMIG_OK)
        return cli_fail(c, rc);
    int ex = EXIT_OK;
    if (file && c->dry_run && !c->json) { /* a dry run never writes */
        printf("dry run: would write the schema (%zu bytes) to %s; nothing was written\n",
               strlen(text), file);
    } else if (file && !c->dry_run) {
        char err[4200];
        if (cli_write_atomic(file, text, err, sizeof err) != 0)
            ex = cli_errorf(c, EXIT_FAIL, "error: %s", err);
    } else if (!file && (fputs(text, stdout) == EOF || fflush(stdout) != 0)) {
        ex = cli_errorf(c, EXIT_FAIL, "error: cannot write the dump on stdout: %s",
                        strerror(errno));
    } else if (!file && format == DBMIG_SCHEMA_JSON) {
        c->said.docs++; /* the dump is the document */
    }
    /* -o FILE with JSON: the dump went to the file, stdout says where (a
     * JSON run prints one document, on success too) */
    if (file && c->json && ex == EXIT_OK)
        cli_json_print(c, json_pack("{s:s,s:b,s:b,s:s,s:I,s:i,s:n}", "command", "schema",
                                    "ok", 1, "dry_run", c->dry_run, "file", file, "bytes",
                                    (json_int_t)strlen(text), "exit_code", 0, "error"));
    dbmig_free(text);
    return ex;
}

int cmd_schema(cli *c)
{
    if (c->nargs < 1 || strcmp(c->args[0], "dump") != 0) {
        cli_errorf(c, EXIT_USAGE, "schema needs a subcommand%s%s: dump",
                   c->nargs ? ", not " : "", c->nargs ? c->args[0] : "");
        fputs(cli_help_for("schema"), stderr);
        return EXIT_USAGE;
    }
    return cmd_schema_dump(c);
}

/* ---- dump-schema ------------------------------------------------------------ */

const char *cli_dump_after(cli *c, int rc, char *err, size_t errcap)
{
    const char *file = cli_config_get(&c->cfg, "dump-schema");
    if (rc != DBMIG_OK || !file || c->sql || c->dry_run)
        return NULL;
    char *text = NULL;
    if (dbmig_schema_dump(c->h, DBMIG_SCHEMA_SQL, &text) != DBMIG_OK) {
        snprintf(err, errcap, "%s succeeded, but the schema dump for dump-schema = %s (from %s) "
                 "failed: %s", c->command, file, cli_config_source(&c->cfg, "dump-schema"),
                 dbmig_errmsg(c->h));
        return err;
    }
    char why[4200];
    int w = cli_write_atomic(file, text, why, sizeof why);
    dbmig_free(text);
    if (w == 0)
        return NULL;
    snprintf(err, errcap, "%s succeeded, but dump-schema (from %s) failed: %s", c->command,
             cli_config_source(&c->cfg, "dump-schema"), why);
    return err;
}

/* ---- drift ------------------------------------------------------------------ */

/* --format json: {"drift", "differences", "scratch_url", "exit_code", "error"}. */
static void drift_json(cli *c, const char *text, int rc, int exit_code)
{
    json_t *j = json_object();
    json_t *d = text && rc != DBMIG_OK ? json_loads(text, 0, NULL) : NULL;
    json_object_set_new(j, "command", json_string("drift"));
    json_object_set_new(j, "ok", json_boolean(rc == DBMIG_OK));
    json_object_set_new(j, "drift", json_boolean(d && json_array_size(d) > 0));
    json_object_set_new(j, "differences", d ? d : json_array());
    json_object_set_new(j, "exit_code", json_integer(exit_code));
    json_object_set_new(j, "error", rc == DBMIG_OK || (d && json_array_size(d))
                                        ? json_null()
                                        : json_string(dbmig_errmsg(c->h)));
    cli_json_print(c, j);
}

int cmd_drift(cli *c)
{
    const char *scratch = NULL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i];
        if (strncmp(a, "--scratch-url=", 14) == 0)
            scratch = a + 14;
        else if (strcmp(a, "--scratch-url") == 0 && i + 1 < c->nargs)
            scratch = c->args[++i];
        else if (strcmp(a, "--scratch-url") == 0)
            return cli_usage_error(c, "%s of drift needs a value: the URL of an empty database", a);
        else {
            cli_errorf(c, EXIT_USAGE, "drift takes no argument '%s'", a);
            fputs(cli_help_for("drift"), stderr);
            return EXIT_USAGE;
        }
        if (!*scratch)
            return cli_usage_error(c, "--scratch-url of drift needs a value: the URL of an empty "
                                   "database%s", "");
    }
    /* SIGINT/SIGTERM stop the replay (the library removes the scratch
     * database all the same); this run's own output is printed below. */
    cli_out_opts oo = {0, c->quiet, c->verbose, 0, &c->said};
    cli_out *run = cli_out_new(&oo);
    if (!run)
        return EXIT_FAIL;
    char *text = NULL;
    cli_out_begin(run, c->h, "drift", NULL, 0, 1);
    int rc = dbmig_drift(c->h, scratch, c->json, &text);
    int differs = rc == DBMIG_EINVALID && text;
    /* A drift found is the result, not an error: cli_out_end says nothing. */
    int exit_code = cli_out_end(run, c->h, differs ? DBMIG_OK : rc);
    cli_out_free(run);
    if (differs && exit_code == EXIT_OK)
        exit_code = EXIT_INVALID;
    if (c->json) {
        drift_json(c, text, rc, exit_code);
    } else if (differs) {
        fputs(text, stdout);
        fprintf(stderr, "dbmig: %s\n", dbmig_errmsg(c->h));
    } else if (rc == DBMIG_OK && !c->quiet) {
        puts("no drift: the database's schema is what its applied migrations give");
    }
    dbmig_free(text);
    return exit_code;
}
