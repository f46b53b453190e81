/* args.c — the command line (see args.h). The tables below are the single
 * list of global options and of each command's own options: a new command
 * option must be added here, or the parser refuses it as unknown. */
#define _POSIX_C_SOURCE 200809L
#include "args.h"

#include <errno.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the tables -------------------------------------------------------------- */

typedef struct gopt {
    const char *name; /* long name without "--"; also the config key (except help, version) */
    char shrt;        /* short flag, or 0 */
    int value;        /* takes a value */
} gopt;

static const gopt gopts[] = {
    {"url", 0, 1},          {"driver", 0, 1},        {"dir", 0, 1},
    {"table", 0, 1},        {"config", 0, 1},        {"env", 0, 1},
    {"plugin-dir", 0, 1},   {"lock-timeout", 0, 1},  {"lock", 0, 1},
    {"lease-seconds", 0, 1}, {"commit-interval", 0, 1}, {"format", 0, 1},
    {"sql", 0, 0},          {"dry-run", 0, 0},       {"single-transaction", 0, 0},
    {"no-color", 0, 0},     {"verbose", 'v', 0},     {"quiet", 'q', 0},
    {"ddl-lock-timeout", 0, 1}, {"ddl-retries", 0, 1}, {"statement-timeout", 0, 1},
    {"batch-pause", 0, 1},  {"batch-time", 0, 1},    {"phase", 0, 1},
    {"help", 'h', 0},       {"version", 'V', 0},
    {"env-file", 0, 1},     {"no-env-file", 0, 0},   {"var", 0, 1},
};
#define NGOPTS (sizeof gopts / sizeof gopts[0])

typedef struct copt {
    const char *name; /* as written: "--resume", "-m" */
    int value;        /* takes a value (the next token, or "--name=VALUE" for long ones) */
    int attached;     /* a short option whose value may be attached: -rA:B */
} copt;

static const copt o_upgrade[] = {{"--allow-missing", 0, 0}, {"--resume", 0, 0}, {"--verify", 0, 0},
                                 {NULL, 0, 0}};
static const copt o_downgrade[] = {{"--allow-missing", 0, 0}, {NULL, 0, 0}};
static const copt o_repair[] = {
    {"--checksums", 0, 0}, {"--applied", 1, 0}, {"--reverted", 1, 0}, {NULL, 0, 0}};
static const copt o_history[] = {{"--rev-range", 1, 0}, {"-r", 1, 1}, {"--format", 1, 0},
                                 {NULL, 0, 0}};
static const copt o_revision[] = {{"--message", 1, 0}, {"-m", 1, 0}, {"--parent", 1, 0},
                                  {"--branch", 1, 0},  {"--depends", 1, 0},
                                  {"--timestamp", 0, 0}, {"--sequential", 0, 0}, {NULL, 0, 0}};
static const copt o_merge[] = {{"--message", 1, 0}, {"-m", 1, 0}, {"--timestamp", 0, 0},
                               {"--sequential", 0, 0}, {NULL, 0, 0}};
static const copt o_fleet[] = {{"--targets", 1, 0}, {"--jobs", 1, 0}, {"--shard", 1, 0},
                               {"--results", 1, 0}, {"--merge-results", 0, 0}, {"--run-id", 1, 0},
                               {NULL, 0, 0}};
static const copt o_schema[] = {{"--format", 1, 0}, {"-o", 1, 0}, {"--output", 1, 0}, {NULL, 0, 0}};
static const copt o_drift[] = {{"--scratch-url", 1, 0}, {NULL, 0, 0}};
static const copt o_test[] = {{"--heads", 0, 0}, {"--junit", 1, 0}, {"--scratch-url", 1, 0},
                              {"--yes-destroy", 0, 0}, {NULL, 0, 0}};
static const copt o_diff[] = {{"--to", 1, 0},           {"--message", 1, 0},
                              {"-m", 1, 0},             {"--from-db", 0, 0},
                              {"--drivers", 1, 0},      {"--scratch-url", 1, 0},
                              {"--allow-destructive", 0, 0}, {"--concurrently", 0, 0},
                              {NULL, 0, 0}};
static const copt o_lint[] = {{"--pending", 0, 0}, {"--since", 1, 0}, {"--strict", 0, 0},
                              {"--format", 1, 0}, {NULL, 0, 0}};
static const copt o_wait[] = {{"--timeout", 1, 0}, {"--reachable", 0, 0}, {NULL, 0, 0}};
static const copt o_none[] = {{NULL, 0, 0}};

static const struct {
    const char *name;
    const copt *opts;
} commands[] = {
    {"upgrade", o_upgrade}, {"downgrade", o_downgrade}, {"current", o_none},   {"status", o_none},
    {"stamp", o_none},      {"show", o_none},      {"check", o_none},     {"repair", o_repair},
    {"drivers", o_none},    {"history", o_history}, {"heads", o_none},    {"branches", o_none},
    {"revision", o_revision}, {"merge", o_merge},  {"fleet", o_fleet},    {"help", o_none},
    {"schema", o_schema},   {"drift", o_drift},
    {"test", o_test},
    {"init", o_none}, /* init: --driver and --dir are global options */
    {"diff", o_diff},
    {"lint", o_lint},
    {"completion", o_none},
    {"wait", o_wait},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const copt *cmd_opts(const char *name)
{
    for (size_t i = 0; name && i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].opts;
    return NULL;
}

int cli_command_known(const char *name) { return cmd_opts(name) != NULL; }

const char *cli_command_suggest(const char *name)
{
    /* other tools' words for the same commands (golang-migrate, goose,
     * dbmate, Flyway, Rails, Alembic), which are too far from ours for the
     * edit distance */
    static const char *const other[][2] = {
        {"up", "upgrade"},         {"down", "downgrade"},          {"migrate", "upgrade"},
        {"apply", "upgrade"},      {"rollback", "downgrade -1"},   {"undo", "downgrade -1"},
        {"redo", "downgrade -1, then upgrade"}, {"version", "current"}, {"info", "status"},
        {"validate", "check"},     {"new", "revision -m MESSAGE"}, {"create", "revision -m MESSAGE"},
        {"generate", "revision -m MESSAGE (or diff)"}, {"baseline", "stamp"}, {"force", "stamp"},
        {"fix", "repair"},         {"dump", "schema dump"},        {"log", "history"}};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (strcasecmp(name, other[i][0]) == 0)
            return other[i][1];
    const char *names[NCOMMANDS];
    for (size_t i = 0; i < NCOMMANDS; i++)
        names[i] = commands[i].name;
    return cli_suggest(name, names, NCOMMANDS);
}

/* ---- helpers ------------------------------------------------------------------- */

static int ar_err(char *errbuf, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ar_err(char *errbuf, size_t errcap, const char *fmt, ...)
{
    va_list ap; /* started unconditionally: the analyzer's budget lost track of it */
    va_start(ap, fmt);
    if (errbuf && errcap)
        vsnprintf(errbuf, errcap, fmt, ap);
    va_end(ap);
    return 2;
}

/* An argument, not an option: "-", "-1", "-12", anything not starting with '-'. */
static int is_argument(const char *a)
{
    return a[0] != '-' || a[1] == '\0' || isdigit((unsigned char)a[1]);
}

static const gopt *find_long(const char *name, size_t n)
{
    for (size_t i = 0; i < NGOPTS; i++)
        if (strlen(gopts[i].name) == n && strncmp(gopts[i].name, name, n) == 0)
            return &gopts[i];
    return NULL;
}

static const gopt *find_short(char c)
{
    for (size_t i = 0; i < NGOPTS; i++)
        if (gopts[i].shrt && gopts[i].shrt == c)
            return &gopts[i];
    return NULL;
}

/* A command option matching a: 1 exact, 2 "--name=value", 3 attached short,
 * 4 "--flag=value" for a flag that takes none (an error); 0 none. */
static int match_copt(const copt *opts, const char *a, const copt **out)
{
    for (const copt *o = opts; o && o->name; o++) {
        size_t n = strlen(o->name);
        if (strcmp(a, o->name) == 0) {
            *out = o;
            return 1;
        }
        if (o->value && o->name[1] == '-' && strncmp(a, o->name, n) == 0 && a[n] == '=') {
            *out = o;
            return 2;
        }
        if (o->attached && strncmp(a, o->name, n) == 0 && a[n]) {
            *out = o;
            return 3;
        }
        if (!o->value && o->name[1] == '-' && strncmp(a, o->name, n) == 0 && a[n] == '=') {
            *out = o; /* a flag with a value: refused by the caller */
            return 4;
        }
    }
    return 0;
}

/* The command, if any, that has option a (for "put it after the command"). */
static const char *owner_of(const char *a)
{
    const copt *o;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, "fleet") != 0 && match_copt(commands[i].opts, a, &o))
            return commands[i].name;
    return NULL;
}

static int push(char ***v, int *n, char *s)
{
    char **nv = realloc(*v, (size_t)(*n + 2) * sizeof *nv);
    if (!nv)
        return -1;
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

/* The nearest option to a misspelt one: a global option, or one of the
 * command's; "" when none is close. Written to out. */
static void suggest_option(const char *a, const copt *opts, char *out, size_t cap)
{
    const char *cands[NGOPTS + 16];
    char longs[NGOPTS][40];
    size_t n = 0;
    for (size_t i = 0; i < NGOPTS; i++) {
        snprintf(longs[i], sizeof longs[i], "--%s", gopts[i].name);
        cands[n++] = longs[i];
    }
    for (const copt *o = opts; o && o->name && n < NGOPTS + 16; o++)
        if (o->name[1] == '-')
            cands[n++] = o->name;
    char word[66];
    const char *eq = strchr(a, '=');
    int single = a[1] != '-'; /* -url → --url */
    snprintf(word, sizeof word, "%s%.*s", single ? "-" : "",
             (int)(eq ? (size_t)(eq - a) : strlen(a)) > 60 ? 60
                                                            : (int)(eq ? (size_t)(eq - a) : strlen(a)),
             a);
    const char *s = cli_suggest(word, cands, n);
    if (s)
        snprintf(out, cap, " (did you mean %s?)", s);
    else
        out[0] = '\0';
}

/* Sets a global option's value on the command line: refuses a second,
 * different value. */
static int set_global(cli_config *cfg, const char *key, const char *val, char *errbuf,
                      size_t errcap)
{
    const char *old = cli_config_get(cfg, key);
    if (old && strcmp(old, val) != 0)
        return ar_err(errbuf, errcap,
                      "option '--%s' is given twice with different values; give it once", key);
    if (cli_config_set(cfg, key, val) != 0)
        return ar_err(errbuf, errcap, "out of memory");
    return 0;
}

static int set_flag(cli_args *a, cli_config *cfg, const gopt *g, const char *val, char *errbuf,
                    size_t errcap)
{
    if (strcmp(g->name, "help") == 0 || strcmp(g->name, "version") == 0) {
        if (val)
            return ar_err(errbuf, errcap, "option '--%s' takes no value", g->name);
        if (g->name[0] == 'h')
            a->help = 1;
        else
            a->version = 1;
        return 0;
    }
    int b = 1;
    if (val) {
        b = cli_parse_bool(val);
        if (b < 0)
            return ar_err(errbuf, errcap,
                          "bad value '%s' for --%s: expected true/false, yes/no, on/off or 1/0 "
                          "(or --%s alone)",
                          val, g->name, g->name);
    }
    if (strcmp(g->name, "verbose") == 0 && b && !val) { /* -v -v, -vv: a count */
        const char *old = cli_config_get(cfg, "verbose");
        char n[16];
        snprintf(n, sizeof n, "%d", old ? cli_verbosity(old) + 1 : 1);
        return cli_config_set(cfg, "verbose", n) ? ar_err(errbuf, errcap, "out of memory") : 0;
    }
    const char *old = cli_config_get(cfg, g->name);
    if (old && (strcmp(old, "0") != 0) != b)
        return ar_err(errbuf, errcap, "option '--%s' is given twice with opposite values; give it once",
                      g->name);
    return cli_config_set(cfg, g->name, b ? "1" : "0") ? ar_err(errbuf, errcap, "out of memory")
                                                        : 0;
}

/* ---- the parser ------------------------------------------------------------------ */

/* The parse under way: the token being read is argv[i]. */
typedef struct parser {
    cli_args *a;
    cli_config *cfg;
    int argc;
    char **argv;
    int i;
    const copt *opts; /* the options of the command being read */
    int ended;        /* after `--` */
    int inner;        /* fleet's COMMAND has been read */
    char *errbuf;
    size_t errcap;
    const char *seen[16]; /* the command's options given so far (copt_twice) */
    int nseen;
} parser;

/* An argument: the command, or one of its arguments. */
static int take_argument(parser *p, char *t)
{
    cli_args *a = p->a;
    if (!a->command) {
        if (!cli_command_known(t)) {
            const char *s = cli_command_suggest(t);
            return ar_err(p->errbuf, p->errcap, "unknown command '%s'%s%s%s", t,
                          s ? " (did you mean " : "", s ? s : "", s ? "?)" : "");
        }
        a->command = t;
        p->opts = cmd_opts(t);
        p->nseen = 0;
        return 0;
    }
    /* fleet COMMAND ...: from there on, that command's options */
    if (!p->inner && !p->ended && strcmp(a->command, "fleet") == 0 && cli_command_known(t)) {
        p->inner = 1;
        p->opts = cmd_opts(t);
        p->nseen = 0;
    }
    if (push(&a->args, &a->nargs, t))
        return ar_err(p->errbuf, p->errcap, "out of memory");
    return 0;
}

/* An option's long name when it has a short one (-m and --message are one
 * option). */
static const char *copt_canon(const char *name)
{
    static const char *const pairs[][2] = {{"-m", "--message"}, {"-o", "--output"},
                                           {"-r", "--rev-range"}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (strcmp(name, pairs[i][0]) == 0)
            return pairs[i][1];
    return name;
}

/* A command option given a second time: refused, as a global one is,
 * instead of the last one silently winning; the lists (--parent, --branch,
 * --depends, and diff's --scratch-url: one per driver) excepted. */
static int copt_twice(parser *p, const copt *co)
{
    static const char *const lists[] = {"--parent", "--branch", "--depends"};
    const char *name = copt_canon(co->name);
    int many = strcmp(name, "--scratch-url") == 0 && p->a->command &&
               strcmp(p->a->command, "diff") == 0;
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
        many |= strcmp(name, lists[i]) == 0;
    for (int i = 0; !many && i < p->nseen; i++)
        if (strcmp(p->seen[i], name) == 0)
            return ar_err(p->errbuf, p->errcap, "option '%s' of %s is given twice; give it once",
                          name, p->a->command);
    if (p->nseen < (int)(sizeof p->seen / sizeof p->seen[0]))
        p->seen[p->nseen++] = name;
    return 0;
}

/* One of the command's own options: -1 when t is none, else 0 or the error. */
static int take_command_option(parser *p, char *t)
{
    cli_args *a = p->a;
    const copt *co;
    int m = a->command ? match_copt(p->opts, t, &co) : 0;
    if (m == 0)
        return -1;
    if (m == 4)
        return ar_err(p->errbuf, p->errcap, "option '%s' of %s takes no value: write %s alone",
                      co->name, a->command, co->name);
    int twice = copt_twice(p, co);
    if (twice)
        return twice;
    if (push(&a->args, &a->nargs, t))
        return ar_err(p->errbuf, p->errcap, "out of memory");
    if (m == 1 && co->value) {
        if (p->i + 1 >= p->argc)
            return ar_err(p->errbuf, p->errcap, "option '%s' of %s needs a value", t, a->command);
        if (push(&a->args, &a->nargs, p->argv[++p->i]))
            return ar_err(p->errbuf, p->errcap, "out of memory");
    }
    return 0;
}

/* An option that is no global one: another command's (put it after that
 * command), or unknown (with the nearest name). shown: how much of t to
 * quote (without "=value"). */
static int refuse_option(parser *p, const char *t, int shown)
{
    const char *cmd = p->a->command;
    const char *own = owner_of(t);
    if (own && !cmd)
        return ar_err(p->errbuf, p->errcap,
                      "'%s' is an option of %s: put it after the command (dbmig %s %s ...)", t,
                      own, own, t);
    if (own && strcmp(own, cmd) != 0)
        return ar_err(p->errbuf, p->errcap, "'%s' is an option of %s, not of %s", t, own, cmd);
    char sug[80];
    suggest_option(t, p->opts, sug, sizeof sug);
    return ar_err(p->errbuf, p->errcap, "unknown option '%.*s'%s%s%s", shown, t,
                  cmd ? " for " : "", cmd ? cmd : "", sug);
}

/* -v, -q, -h, -V, also grouped: -vv */
static int take_short_flags(parser *p, const char *t)
{
    for (const char *c = t + 1; *c; c++) {
        const gopt *g = find_short(*c);
        if (!g)
            return refuse_option(p, t, (int)strlen(t));
        int rc = set_flag(p->a, p->cfg, g, NULL, p->errbuf, p->errcap);
        if (rc)
            return rc;
    }
    return 0;
}

/* --name, --name=VALUE, --name VALUE; first: the count of global tokens
 * before this one. */
static int take_long_option(parser *p, const char *t, int first)
{
    cli_args *a = p->a;
    const char *name = t + 2, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const gopt *g = find_long(name, n);
    if (!g)
        return refuse_option(p, t, (int)(n + 2));
    if (!g->value)
        return set_flag(a, p->cfg, g, eq ? eq + 1 : NULL, p->errbuf, p->errcap);
    const char *v = NULL;
    if (eq) {
        v = eq + 1;
    } else if (p->i + 1 < p->argc) {
        const char *nx = p->argv[p->i + 1];
        /* `--url --dir m`: the value is missing, not "--dir" */
        if (nx[0] == '-' && nx[1] == '-' && find_long(nx + 2, strcspn(nx + 2, "=")))
            return ar_err(p->errbuf, p->errcap, "option '--%s' needs a value, got the option '%s'",
                          g->name, nx);
        v = p->argv[++p->i];
        if (push(&a->globals, &a->nglobals, p->argv[p->i]))
            return ar_err(p->errbuf, p->errcap, "out of memory");
    }
    /* an empty value is a mistake (`--env "$UNSET"` would quietly pick
     * no section), except for --plugin-dir, where "" means no folder */
    if (!v || (!*v && strcmp(g->name, "plugin-dir") != 0)) {
        a->nglobals = first; /* the token is not kept: the parse fails anyway */
        return ar_err(p->errbuf, p->errcap, "option '--%s' needs a value", g->name);
    }
    if (strcmp(g->name, "var") == 0) /* repeatable: one placeholder value each (SPEC 16) */
        return cli_config_add_var(p->cfg, v, p->errbuf, p->errcap) ? 2 : 0;
    return set_global(p->cfg, g->name, v, p->errbuf, p->errcap);
}

int cli_args_parse(cli_args *a, cli_config *cfg, int argc, char **argv, char *errbuf,
                   size_t errcap)
{
    memset(a, 0, sizeof *a);
    parser p = {a, cfg, argc, argv, 0, NULL, 0, 0, errbuf, errcap, {NULL}, 0};
    for (p.i = 1; p.i < argc; p.i++) {
        char *t = argv[p.i];
        int rc;
        if (p.ended || is_argument(t)) {
            rc = take_argument(&p, t);
        } else if (strcmp(t, "--") == 0) {
            p.ended = 1;
            rc = 0;
        } else if ((rc = take_command_option(&p, t)) < 0) {
            /* a global option */
            int first = a->nglobals;
            if (push(&a->globals, &a->nglobals, t))
                return ar_err(errbuf, errcap, "out of memory");
            rc = t[1] != '-' ? take_short_flags(&p, t) : take_long_option(&p, t, first);
        }
        if (rc)
            return rc;
    }
    return 0;
}

void cli_args_free(cli_args *a)
{
    free(a->args);
    free(a->globals);
    memset(a, 0, sizeof *a);
}

int cli_verbosity(const char *v)
{
    if (!v)
        return 0;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end != v && *end == '\0' && errno == 0)
        return n < 0 ? 0 : n > 9 ? 9 : (int)n;
    return 1; /* a boolean word already accepted as true: verbose once */
}

/* ---- the tables, read by help.c (man pages) and complete.c ------------------ */

/* Read at run time, so that an entry added to a table above is listed in
 * the man page and completed by the shells without another edit. */
size_t cli_gopt_count(void) { return NGOPTS; }

int cli_gopt_at(size_t i, const char **name, char *shrt, int *value)
{
    if (i >= NGOPTS)
        return 0;
    *name = gopts[i].name;
    *shrt = gopts[i].shrt;
    *value = gopts[i].value;
    return 1;
}

size_t cli_command_count(void) { return NCOMMANDS; }

const char *cli_command_at(size_t i) { return i < NCOMMANDS ? commands[i].name : NULL; }

int cli_copt_at(const char *cmd, size_t i, const char **name, int *value)
{
    const copt *o = cmd_opts(cmd);
    for (size_t k = 0; o && o[k].name; k++)
        if (k == i) {
            *name = o[k].name;
            *value = o[k].value;
            return 1;
        }
    return 0;
}
