/* cmd_lint.c — `dbmig lint [REV...|--pending|--since REV] [--strict]
 * [--format text|json|sarif|github]` (SPEC section 15): reads its options
 * and the [lint] settings, calls dbmig_lint and prints the findings.
 *
 * Why it is built this way: the library finds the problems (it knows the
 * files, the dialects and what is applied); this file only prints, in the
 * four forms a reviewer or a CI system reads: text for people, the JSON of
 * SPEC 15 for scripts, SARIF 2.1.0 for code-scanning dashboards, and
 * GitHub workflow commands (::error file=...,line=...::) that GitHub shows
 * on the pull request's lines. Exit 0 clean, 3 on an error finding (and on
 * a warning with --strict); usage mistakes are 2. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dbmig/driver.h"
#include "tty.h"

enum { F_TEXT, F_JSON, F_SARIF, F_GITHUB };

typedef struct lint_args {
    dbmig_lint_opts o;
    const char **revs;
    int strict;
    int format;
} lint_args;

static int parse_format(cli *c, const char *v, int *out)
{
    static const char *const names[] = {"text", "json", "sarif", "github"};
    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return EXIT_OK;
        }
    return cli_usage_error(c, "bad value '%s' for lint --format: expected text, json, sarif (for "
                           "code scanning) or github (annotations in a GitHub workflow)",
                           v);
}

static int parse_args(cli *c, lint_args *t)
{
    t->format = c->json ? F_JSON : F_TEXT;
    t->revs = calloc((size_t)c->nargs + 1, sizeof *t->revs);
    if (!t->revs)
        return EXIT_FAIL;
    for (int i = 0; i < c->nargs; i++) {
        const char *a = c->args[i], *v = NULL;
        if (strcmp(a, "--pending") == 0)
            t->o.pending = 1;
        else if (strcmp(a, "--strict") == 0)
            t->strict = 1;
        else if ((v = cli_opt_value(c, &i, "--since")) != NULL)
            t->o.since = v;
        else if ((v = cli_opt_value(c, &i, "--format")) != NULL) {
            if (parse_format(c, v, &t->format))
                return EXIT_USAGE;
        } else if (a[0] == '-' && a[1] == '-')
            return cli_usage_error(c, "unknown argument '%s' for lint (it takes REV..., --pending, "
                                   "--since REV, --strict, --format text|json|sarif|github)",
                                   a);
        else
            t->revs[t->o.nrevisions++] = a;
        if (v && !*v)
            return cli_usage_error(c, "%s needs a value", a);
    }
    t->o.revisions = t->revs;
    int given = (t->o.nrevisions != 0) + (t->o.since != NULL) + t->o.pending;
    if (given > 1)
        return cli_usage_error(c, "lint takes revisions, --since REV or --pending: give one of "
                               "them%s", "");
    return EXIT_OK;
}

/* The [lint] lines of the config file as the library's settings. */
static dbmig_lint_setting *settings(const cli_config *cfg)
{
    dbmig_lint_setting *s = calloc(cfg->nlint + 1, sizeof *s);
    for (size_t i = 0; s && i < cfg->nlint; i++)
        s[i] = (dbmig_lint_setting){cfg->lint_rule[i], cfg->lint_sev[i], cfg->lint_src[i]};
    return s;
}

static const char *sev_word(int s)
{
    return s == DBMIG_LINT_ERROR ? "error" : s == DBMIG_LINT_WARNING ? "warning" : "info";
}

/* The driver of a finding's section when it is not the run's (a
 * `-- dbmig:up mysql` section linted by `--driver sqlite lint`), else NULL:
 * such findings say so, so that a reader of the sqlite run knows the
 * statement is not one sqlite runs. */
static const char *other_driver(const dbmig_lint_report *r, const dbmig_lint_finding *f)
{
    return f->driver && r->driver && strcmp(f->driver, r->driver) != 0 ? f->driver : NULL;
}

/* "(postgres section) " for such a finding, else "". */
static const char *section_tag(const dbmig_lint_report *r, const dbmig_lint_finding *f, char *buf,
                               size_t cap)
{
    const char *d = other_driver(r, f);
    if (!d)
        return "";
    snprintf(buf, cap, "(%s section) ", d);
    return buf;
}

/* The summary's parenthesis: the run's driver, and how many findings are
 * in sections of other drivers (per driver, in the order seen). */
static void print_summary_drivers(const dbmig_lint_report *r)
{
    printf("(%s", r->driver);
    const char *seen[8];
    size_t nseen = 0;
    for (size_t i = 0; i < r->n && nseen < 8; i++) {
        const char *d = other_driver(r, &r->findings[i]);
        size_t k = 0;
        while (d && k < nseen && strcmp(seen[k], d) != 0)
            k++;
        if (d && k == nseen)
            seen[nseen++] = d;
    }
    for (size_t k = 0; k < nseen; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
            n += other_driver(r, &r->findings[i]) && strcmp(r->findings[i].driver, seen[k]) == 0;
        printf("%s%zu in %s sections", k ? ", " : "; of them ", n, seen[k]);
    }
    printf(")\n");
}

static void print_text(const dbmig_lint_report *r, int quiet)
{
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        char *msg = cli_safe_dup(f->message), *fix = cli_safe_dup(f->fix), tag[64];
        printf("%s:%d: %s: [%s] %s%s\n    fix: %s\n", f->file, f->line, sev_word(f->severity),
               f->rule, section_tag(r, f, tag, sizeof tag), msg ? msg : "", fix ? fix : "");
        free(msg);
        free(fix);
    }
    if (!quiet) {
        printf("%zu error%s, %zu warning%s, %zu info%s in %zu revision%s ", r->errors,
               r->errors == 1 ? "" : "s", r->warnings, r->warnings == 1 ? "" : "s", r->infos,
               r->infos == 1 ? "" : "s", r->revisions, r->revisions == 1 ? "" : "s");
        print_summary_drivers(r);
    }
}

static json_t *opt_str(const char *s) { return s ? json_string(s) : json_null(); }

/* One value as cli_json_print would indent it at depth `depth` (2 spaces a
 * level): json_dumps' lines, each but the first prefixed. */
static void put_indented(json_t *j, int depth)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    for (char *p = s, *nl; p && *p; p = nl + 1) {
        if (!(nl = strchr(p, '\n'))) {
            fputs(p, stdout);
            break;
        }
        fwrite(p, 1, (size_t)(nl + 1 - p), stdout);
        printf("%*s", depth * 2, "");
    }
    free(s);
    json_decref(j);
}

/* The JSON of SPEC 15, written finding by finding: the same text as one
 * json_dumps of the whole document, without holding a tree of every
 * finding as well as the text of all of them (10,000 files with 26,000
 * findings: 65 MiB and a quarter of the run). */
static void print_json(const dbmig_lint_report *r)
{
    fputs("{\n  \"findings\": [", stdout);
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        fputs(i ? ",\n    " : "\n    ", stdout);
        put_indented(json_pack("{s:s,s:s,s:o,s:s,s:i,s:s,s:s,s:o}", "rule", f->rule, "severity",
                               sev_word(f->severity), "revision", opt_str(f->revision), "file",
                               f->file, "line", f->line, "message", f->message, "fix", f->fix,
                               "driver", opt_str(f->driver)),
                     2);
    }
    fputs(r->n ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", stdout);
    put_indented(json_pack("{s:I,s:I,s:I}", "errors", (json_int_t)r->errors, "warnings",
                           (json_int_t)r->warnings, "infos", (json_int_t)r->infos),
                 1);
    fputs("\n}\n", stdout);
}

/* A file path as a relative URI reference: unreserved characters and '/'
 * as they are, the rest percent-encoded. */
static json_t *uri_of(const char *path)
{
    size_t n = strlen(path);
    char *u = malloc(n * 3 + 1), *o = u;
    if (!u)
        return json_string(path);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            *o++ = (char)*p;
        else
            o += sprintf(o, "%%%02X", *p);
    }
    *o = '\0';
    json_t *j = json_string(u);
    free(u);
    return j;
}

static const char *sarif_level(int s)
{
    return s == DBMIG_LINT_ERROR ? "error" : s == DBMIG_LINT_WARNING ? "warning" : "note";
}

/* tool.driver.rules: every rule, and lint-ignore (bad suppressions). */
static json_t *sarif_rules(void)
{
    const dbmig_lint_rule *rules;
    size_t n = dbmig_lint_rules(&rules);
    json_t *a = json_array();
    static const char *const dialects[] = {"postgres", "mysql", "sqlite"};
    static const int bits[] = {DBMIG_DIALECT_POSTGRES, DBMIG_DIALECT_MYSQL, DBMIG_DIALECT_SQLITE};
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array();
        for (int k = 0; k < 3; k++)
            if (rules[i].dialects & (1u << bits[k]))
                json_array_append_new(d, json_string(dialects[k]));
        /* properties: SARIF's bag for what the format has no field for */
        json_array_append_new(
            a, json_pack("{s:s,s:{s:s},s:{s:s},s:{s:s},s:{s:o,s:b}}", "id", rules[i].id,
                         "shortDescription", "text", rules[i].why, "help", "text", rules[i].fix,
                         "defaultConfiguration", "level", sarif_level(rules[i].severity),
                         "properties", "dialects", d, "upOnly", rules[i].up_only));
    }
    json_array_append_new(
        a, json_pack("{s:s,s:{s:s},s:{s:s}}", "id", "lint-ignore", "shortDescription", "text",
                     "a -- dbmig:lint-ignore line that is misplaced, names no known rule or "
                     "gives no reason",
                     "help", "text", "-- dbmig:lint-ignore RULE reason, on the line above the "
                                     "statement"));
    return a;
}

static void print_sarif(cli *c, const dbmig_lint_report *r)
{
    const dbmig_lint_rule *rules;
    size_t nrules = dbmig_lint_rules(&rules);
    json_t *results = json_array();
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        size_t idx = nrules; /* lint-ignore is last */
        for (size_t k = 0; k < nrules; k++)
            if (strcmp(rules[k].id, f->rule) == 0)
                idx = k;
        char text[4096], tag[64];
        snprintf(text, sizeof text, "%s%s Fix: %s", section_tag(r, f, tag, sizeof tag),
                 f->message, f->fix);
        json_array_append_new(
            results,
            json_pack("{s:s,s:I,s:s,s:{s:s},s:[{s:{s:{s:o},s:{s:i}}}],s:{s:o}}", "ruleId",
                      f->rule, "ruleIndex", (json_int_t)idx, "level", sarif_level(f->severity),
                      "message", "text", text, "locations", "physicalLocation",
                      "artifactLocation", "uri", uri_of(f->file), "region", "startLine",
                      f->line > 0 ? f->line : 1, "properties", "driver", opt_str(f->driver)));
    }
    json_t *run = json_pack("{s:{s:{s:s,s:s,s:o}},s:o}", "tool", "driver", "name", "dbmig",
                            "version", dbmig_version(), "rules", sarif_rules(), "results",
                            results);
    cli_json_print(c, json_pack("{s:s,s:s,s:[o]}", "$schema",
                             "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
                             "runs", run));
}

/* GitHub workflow commands: data escapes %, CR and LF; properties also
 * ':' and ','. */
static void gh_escape(const char *s, int property)
{
    for (; s && *s; s++) {
        if (*s == '%')
            fputs("%25", stdout);
        else if (*s == '\r')
            fputs("%0D", stdout);
        else if (*s == '\n')
            fputs("%0A", stdout);
        else if (property && *s == ':')
            fputs("%3A", stdout);
        else if (property && *s == ',')
            fputs("%2C", stdout);
        else
            putchar(*s);
    }
}

static void print_github(const dbmig_lint_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        printf("::%s file=", f->severity == DBMIG_LINT_ERROR     ? "error"
                             : f->severity == DBMIG_LINT_WARNING ? "warning"
                                                                 : "notice");
        gh_escape(f->file, 1);
        printf(",line=%d,title=", f->line > 0 ? f->line : 1);
        gh_escape(f->rule, 1);
        fputs("::", stdout);
        char tag[64];
        gh_escape(section_tag(r, f, tag, sizeof tag), 0);
        gh_escape(f->message, 0);
        fputs("%0AFix: ", stdout);
        gh_escape(f->fix, 0);
        putchar('\n');
    }
}

/* The findings as lint's JSON document: {"findings": [...], "summary": {...}}
 * (a tree: check's and test's documents hold it under "lint"). */
static json_t *report_json(const dbmig_lint_report *r, const char *skip_rule)
{
    json_t *a = json_array();
    json_int_t n[4] = {0, 0, 0, 0}; /* by severity, what is shown */
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        if (skip_rule && strcmp(f->rule, skip_rule) == 0)
            continue;
        n[f->severity & 3]++;
        json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s,s:i,s:s,s:s,s:o}", "rule", f->rule,
                                           "severity", sev_word(f->severity), "revision",
                                           opt_str(f->revision), "file", f->file, "line", f->line,
                                           "message", f->message, "fix", f->fix, "driver",
                                           opt_str(f->driver)));
    }
    return json_pack("{s:o,s:{s:I,s:I,s:I}}", "findings", a, "summary", "errors",
                     n[DBMIG_LINT_ERROR], "warnings", n[DBMIG_LINT_WARNING], "infos",
                     n[DBMIG_LINT_INFO]);
}

/* check's and test's lint lines, on stderr (their own report owns stdout):
 * errors and warnings, one line each (infos only counted: `dbmig lint` has
 * them, with the fixes), then a count. --quiet keeps only the errors. */
static void print_attached(cli *c, const dbmig_lint_report *r, const char *what,
                           const char *skip_rule)
{
    size_t shown = 0, n[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < r->n; i++) {
        const dbmig_lint_finding *f = &r->findings[i];
        if (skip_rule && strcmp(f->rule, skip_rule) == 0)
            continue;
        n[f->severity & 3]++;
        if (f->severity < DBMIG_LINT_WARNING || (c->quiet && f->severity < DBMIG_LINT_ERROR))
            continue;
        char *msg = cli_safe_dup(f->message), tag[64];
        fprintf(stderr, "lint: %s:%d: %s: [%s] %s%s\n", f->file, f->line, sev_word(f->severity),
                f->rule, section_tag(r, f, tag, sizeof tag), msg ? msg : "");
        free(msg);
        shown++;
    }
    size_t e = n[DBMIG_LINT_ERROR], w = n[DBMIG_LINT_WARNING], in = n[DBMIG_LINT_INFO];
    if (shown || (in && !c->quiet))
        fprintf(stderr, "lint: %zu error%s, %zu warning%s, %zu info%s in %s; `dbmig lint%s` "
                        "shows the fixes\n",
                e, e == 1 ? "" : "s", w, w == 1 ? "" : "s", in, in == 1 ? "" : "s", what,
                strcmp(what, "every revision") == 0 ? "" : " --pending");
}

/* The revisions check lints: those of st with a file, not applied or
 * dirty (what dbmig_lint's --pending selects from its own read). */
static const char **pending_of(const dbmig_status *st, size_t *n)
{
    const char **v = malloc((st->nrevs ? st->nrevs : 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < st->nrevs; i++) {
        const dbmig_rev_status *rv = &st->revs[i];
        if (rv->file && (!(rv->flags & DBMIG_REV_APPLIED) || (rv->flags & DBMIG_REV_DIRTY)))
            v[(*n)++] = rv->revision;
    }
    return v;
}

int cli_lint_for(cli *c, const dbmig_status *st, json_t **json_out, size_t *errors,
                 dbmig_lint_report **keep)
{
    int every = st == NULL;
    *errors = 0;
    if (keep)
        *keep = NULL;
    if (json_out)
        *json_out = NULL;
    if (every && !cli_config_get(&c->cfg, "url") && !cli_config_get(&c->cfg, "driver")) {
        const char *why = "lint skipped: give --driver or --url for its SQL dialect";
        if (json_out)
            *json_out = json_pack("{s:s}", "skipped", why);
        else if (!c->quiet)
            fprintf(stderr, "dbmig: note: %s\n", why);
        return EXIT_OK;
    }
    dbmig_lint_opts o = DBMIG_LINT_OPTS_INIT;
    o.all = every;
    o.exact = !every;
    const char **pending = every ? NULL : pending_of(st, &o.nrevisions);
    dbmig_lint_setting *s = settings(&c->cfg);
    if (!s || (!every && !pending)) {
        free(s);
        free(pending);
        return EXIT_FAIL;
    }
    o.revisions = pending;
    o.settings = s;
    o.nsettings = c->cfg.nlint;
    dbmig_lint_report *r = NULL;
    int rc = dbmig_lint(c->h, &o, &r);
    free(s);
    free(pending);
    if (rc == DBMIG_EUSAGE) /* a [lint] setting is wrong: as `dbmig lint` says it */
        return cli_fail(c, rc);
    if (rc != DBMIG_OK) {
        if (json_out)
            *json_out = json_pack("{s:s}", "error", dbmig_errmsg(c->h));
        else
            fprintf(stderr, "dbmig: warning: lint did not run: %s\n", dbmig_errmsg(c->h));
        return EXIT_OK;
    }
    /* check reports an edited applied file itself, as a problem */
    const char *skip = every ? NULL : "applied-file-edited";
    for (size_t i = 0; i < r->n; i++)
        if (r->findings[i].severity == DBMIG_LINT_ERROR &&
            !(skip && strcmp(r->findings[i].rule, skip) == 0))
            (*errors)++;
    if (json_out)
        *json_out = report_json(r, skip);
    else
        print_attached(c, r, every ? "every revision" : "the pending revisions", skip);
    if (keep)
        *keep = r;
    else
        dbmig_lint_report_free(r);
    return EXIT_OK;
}

int cmd_lint(cli *c)
{
    lint_args t;
    memset(&t, 0, sizeof t);
    t.o = (dbmig_lint_opts)DBMIG_LINT_OPTS_INIT;
    int e = parse_args(c, &t);
    dbmig_lint_setting *s = e ? NULL : settings(&c->cfg);
    if (!e && !s)
        e = EXIT_FAIL;
    if (e) {
        free(t.revs);
        return e;
    }
    t.o.settings = s;
    t.o.nsettings = c->cfg.nlint;
    dbmig_lint_report *r = NULL;
    int rc = dbmig_lint(c->h, &t.o, &r);
    free(s);
    free(t.revs);
    if (rc != DBMIG_OK)
        return cli_fail(c, rc);
    if (r->note && !c->quiet)
        fprintf(stderr, "dbmig: note: %s\n", r->note);
    if (t.format == F_JSON) {
        print_json(r); /* SPEC 15's document, streamed: counted here */
        c->said.docs++;
    } else if (t.format == F_SARIF) {
        print_sarif(c, r);
    } else if (t.format == F_GITHUB) {
        print_github(r);
    } else {
        print_text(r, c->quiet);
    }
    int code = r->errors || (t.strict && r->warnings) ? EXIT_INVALID : EXIT_OK;
    dbmig_lint_report_free(r);
    return code;
}
