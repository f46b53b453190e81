/* cmd_init.c — `dbmig init [--driver D]`: starts a project in the working
 * folder, offline (no database is opened): the migrations folder (--dir,
 * default migrations/) with a first migration, a commented dbmig.conf
 * (--config FILE names it) and the .gitignore lines for lock files and the
 * local SQLite database.
 *
 * Built in two passes so that a refusal writes nothing at all: plan_check
 * looks at every path first (an existing config file, a non-empty
 * migrations folder, a .gitignore that is no file: exit 2 naming it), and
 * only then are the files written. The first migration is written by the
 * library (dbmig_revision_new), so its name and header are exactly those of
 * `dbmig revision`; init then adds a comment to its up and down sections.
 * Only keys that cli/config.c knows are written, and no password: the
 * server examples point at DATABASE_URL, PGPASSWORD/~/.pgpass or ${VAR}.
 *
 * init reads the environment and the .env file (DBMIG_DIR, DBMIG_DRIVER,
 * DBMIG_CONFIG, DBMIG_FORMAT: where the project says its migrations live),
 * but no config file: it writes one. A --dir whose parents are missing is
 * created with them (mkdir -p, as dbmate creates db/migrations); a parent
 * that is a file is refused up front. --format json prints what was (or, with
 * --dry-run, would be) created, or {"exit_code", "error"}. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { K_SQLITE, K_POSTGRES, K_MYSQL, K_N };
static const char *const init_drivers[K_N] = {"sqlite", "postgres", "mysql"};

#define LOCAL_DB "dev.db"
#define FIRST_MESSAGE "first migration"

typedef struct init_plan {
    cli *c;              /* the run: its printed document and error (main.c) */
    int kind;
    const char *conf;    /* the config file to write */
    const char *dir;     /* the migrations folder, from the working folder */
    char *conf_dir;      /* the dir value written in the config */
    int dir_exists;      /* an empty folder is used as it is */
    int gi_exists;       /* .gitignore: append, else write new */
    int gi_needs_newline;/* its last line has no '\n' */
    const char *gi_add[4];
    size_t ngi_add;
    int json;            /* --format json */
} init_plan;

/* A failure: the message on stderr, and with --format json also
 * {"exit_code", "error"} on stdout (as every JSON result carries). */
static int init_fail(const init_plan *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int init_fail(const init_plan *p, int code, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_errorf(p->c, code, "init: %s", msg);
    if (p->json) {
        json_t *j = json_object();
        json_object_set_new(j, "command", json_string("init"));
        json_object_set_new(j, "ok", json_false());
        json_object_set_new(j, "exit_code", json_integer(code));
        json_object_set_new(j, "error", json_string(msg));
        cli_json_print(p->c, j);
    }
    return code;
}

static int refuse(const init_plan *p, const char *what, const char *path, const char *todo)
{
    return init_fail(p, EXIT_USAGE, "%s %s; nothing was written. %s", what, path, todo);
}

/* The driver from --driver / DBMIG_DRIVER (default sqlite). */
static int pick_driver(cli *c, init_plan *p)
{
    const char *d = cli_config_get(&c->cfg, "driver");
    p->kind = K_SQLITE;
    if (!d)
        return EXIT_OK;
    for (int k = 0; k < K_N; k++)
        if (strcmp(d, init_drivers[k]) == 0) {
            p->kind = k;
            return EXIT_OK;
        }
    const char *near = cli_suggest(d, init_drivers, K_N);
    return init_fail(p, EXIT_USAGE,
                     "no driver '%s' (from %s)%s%s%s: init writes examples for sqlite, postgres "
                     "and mysql",
                     d, cli_config_source(&c->cfg, "driver"), near ? "; did you mean " : "",
                     near ? near : "", near ? "?" : "");
}

/* Lines in text equal to line (trailing blanks and '\r' ignored). */
static int has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
        if (strncmp(s, line, n) != 0)
            continue;
        const char *e = s + n;
        while (*e == ' ' || *e == '\t' || *e == '\r')
            e++;
        if (*e == '\n' || *e == '\0')
            return 1;
    }
    return 0;
}

/* Reads a whole file into a new string (NULL on failure, errno set). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 4096 + 1 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 4096 + 1);
            if (!nb)
                break;
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* .gitignore: a regular file (or absent); the lines it lacks. */
static int check_gitignore(init_plan *p)
{
    static const char *const want[] = {"*.dbmig-lock*", LOCAL_DB, LOCAL_DB "-*"};
    size_t nwant = p->kind == K_SQLITE ? 3 : 1;
    struct stat st;
    char *text = NULL;
    if (lstat(".gitignore", &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return refuse(p, ".gitignore is not a regular file:", ".gitignore",
                          "Move it away and run `dbmig init` again.");
        if (!(text = slurp(".gitignore")))
            return refuse(p, "cannot read", ".gitignore", "Make it readable and run again.");
        p->gi_exists = 1;
        size_t len = strlen(text);
        p->gi_needs_newline = len > 0 && text[len - 1] != '\n';
    }
    for (size_t i = 0; i < nwant; i++)
        if (!text || !has_line(text, want[i]))
            p->gi_add[p->ngi_add++] = want[i];
    free(text);
    return EXIT_OK;
}

/* 1 when the folder has an entry besides . and .., 0 when empty, -1 unreadable. */
static int dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int found = 0;
    const struct dirent *e;
    while (!found && (e = readdir(d)) != NULL)
        found = strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return found;
}

/* The folders above the migrations folder: each one there is a folder
 * (else exit 2 naming it); missing ones are created with it (mkdir_p). */
static int check_dir_parents(const init_plan *p)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", p->dir) >= (int)sizeof path)
        return refuse(p, "the migrations folder's name is too long:", p->dir,
                      "Name a shorter folder with --dir DIR.");
    for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        struct stat st;
        int there = stat(path, &st) == 0;
        if (there && !S_ISDIR(st.st_mode))
            return refuse(p, "a folder above the migrations folder is a file:", path,
                          "Move it away, or name another folder with --dir DIR.");
        *s = '/';
        if (!there)
            break; /* everything below is created */
    }
    return EXIT_OK;
}

/* mkdir -p: dir and the folders above it that are missing. */
static int mkdir_p(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s", dir);
    for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Every path, before anything is written. */
static int plan_check(init_plan *p)
{
    struct stat st;
    int rc = check_dir_parents(p);
    if (rc != EXIT_OK)
        return rc;
    if (lstat(p->conf, &st) == 0)
        return refuse(p, "the config file already exists:", p->conf,
                      "Edit it, or move it away and run `dbmig init` again (or name another "
                      "file with --config FILE).");
    if (lstat(p->dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return refuse(p, "the migrations folder is not a folder:", p->dir,
                          "Move it away, or name another folder with --dir DIR.");
        int nonempty = dir_has_entries(p->dir);
        if (nonempty < 0)
            return refuse(p, "cannot read the migrations folder", p->dir, "Check its permissions.");
        if (nonempty)
            return refuse(p, "the migrations folder is not empty:", p->dir,
                          "This project is set up already: add a migration with `dbmig "
                          "revision -m MSG`, or name another folder with --dir DIR.");
        p->dir_exists = 1;
    }
    const char *slash = strrchr(p->conf, '/');
    if (slash && slash != p->conf) {
        char parent[4096];
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - p->conf), p->conf);
        if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
            return refuse(p, "there is no folder for the config file", p->conf,
                          "Create its folder first, or name another file with --config FILE.");
    }
    return check_gitignore(p);
}

/* The dir value for the config file, whose relative values are read from
 * its own folder: as given when the file is in the working folder (or the
 * folder is absolute), else made absolute. */
static char *conf_dir_value(const init_plan *p)
{
    if (p->dir[0] == '/' || !strchr(p->conf, '/'))
        return strdup(p->dir);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return NULL;
    size_t n = strlen(cwd) + strlen(p->dir) + 2;
    char *v = malloc(n);
    if (v)
        snprintf(v, n, "%s/%s", cwd, p->dir);
    return v;
}

/* Writes text to a new file (never over an existing one), mode 0644. */
static int write_new(const char *path, const char *text, int append)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | (append ? O_APPEND : O_CREAT | O_EXCL), 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    return close(fd) == 0 && off == len ? 0 : -1;
}

static const char conf_head[] =
    "# dbmig.conf, written by `dbmig init`. The keys are the long names of the\n"
    "# global options (`dbmig --help`). Precedence, highest first: the command\n"
    "# line, DBMIG_<NAME> variables (DBMIG_URL, DBMIG_LOCK_TIMEOUT, ...), the\n"
    "# [env.NAME] section chosen with --env NAME, [dbmig], DATABASE_URL.\n"
    "# ${VAR} is read from the environment, only in the values in use.\n"
    "\n"
    "[dbmig]\n"
    "# the migrations folder (a relative path is read from this file's folder)\n"
    "dir = %s\n";

static const char *const conf_body[K_N] = {
    "# the development database: a SQLite file in the working folder. This\n"
    "# line wins over DATABASE_URL (dbmig says so in a note when both are\n"
    "# set), not over DBMIG_URL or --url: comment it out to use DATABASE_URL.\n"
    "url = sqlite:" LOCAL_DB "\n"
    "# seconds to wait for another run's migration lock (default 60)\n"
    "# lock-timeout = 60\n"
    "\n"
    "# `dbmig --env production upgrade` reads this section over [dbmig]\n"
    "[env.production]\n"
    "url = sqlite:/var/lib/myapp/app.db\n"
    "lock-timeout = 300\n",

    "driver = postgres\n"
    "# the development database: set DATABASE_URL (or DBMIG_URL) in the\n"
    "# environment, or uncomment the url line. Never write a password here:\n"
    "# libpq reads it from PGPASSWORD or ~/.pgpass when the URL has none.\n"
    "# url = postgres://app@localhost:5432/app_dev\n"
    "# seconds to wait for another run's migration lock (default 60)\n"
    "# lock-timeout = 60\n"
    "\n"
    "# `dbmig --env production upgrade` reads this section over [dbmig]; the\n"
    "# password comes from PGPASSWORD or ~/.pgpass (or give the whole URL in\n"
    "# DATABASE_URL / DBMIG_URL instead)\n"
    "[env.production]\n"
    "url = postgres://app@db.example.com:5432/app?sslmode=verify-full\n"
    "lock-timeout = 300\n",

    "driver = mysql\n"
    "# the development database: set DATABASE_URL (or DBMIG_URL) in the\n"
    "# environment, or uncomment the url line. Never write a password here:\n"
    "# take it from a variable, %-encoded if it holds @ : / % ? # &\n"
    "# url = mysql://app:${MYSQL_PASSWORD}@localhost:3306/app_dev\n"
    "# seconds to wait for another run's migration lock (default 60)\n"
    "# lock-timeout = 60\n"
    "\n"
    "# `dbmig --env production upgrade` reads this section over [dbmig];\n"
    "# ${MYSQL_PASSWORD} is read only when this section is in use (or give the\n"
    "# whole URL in DATABASE_URL / DBMIG_URL instead)\n"
    "[env.production]\n"
    "url = mysql://app:${MYSQL_PASSWORD}@db.example.com:3306/app?ssl-mode=VERIFY_IDENTITY\n"
    "lock-timeout = 300\n",
};

static int write_conf(const init_plan *p)
{
    size_t n = sizeof conf_head + strlen(p->conf_dir) + strlen(conf_body[p->kind]) + 1;
    char *text = malloc(n);
    if (!text)
        return -1;
    int len = snprintf(text, n, conf_head, p->conf_dir);
    snprintf(text + len, n - (size_t)len, "%s", conf_body[p->kind]);
    int rc = write_new(p->conf, text, 0);
    free(text);
    return rc;
}

static int write_gitignore(const init_plan *p)
{
    if (!p->ngi_add)
        return 0;
    char text[512];
    size_t len = 0;
    len += (size_t)snprintf(text + len, sizeof text - len, "%s# dbmig: lock files%s\n",
                            p->gi_needs_newline ? "\n" : "",
                            p->kind == K_SQLITE ? " and the local SQLite database" : "");
    for (size_t i = 0; i < p->ngi_add; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s\n", p->gi_add[i]);
    return write_new(".gitignore", text, p->gi_exists);
}

static const char first_sections[] =
    "\n-- dbmig:up\n"
    "-- The statements that change the schema, each ending with ';', e.g.\n"
    "-- CREATE TABLE example (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);\n"
    "\n"
    "-- dbmig:down\n"
    "-- The statements that undo the up section, in reverse order, e.g.\n"
    "-- DROP TABLE example;\n";

/* The first migration, written by the library as `dbmig revision` would,
 * then its empty sections replaced by commented ones. */
static int write_first(cli *c, const init_plan *p, dbmig_new_revision **nr)
{
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.dir = p->dir;
    int rc = dbmig_open(&c->h, &o);
    dbmig_revision_opts ro = {FIRST_MESSAGE, NULL, 0, NULL, 0, NULL, 0};
    if (rc == DBMIG_OK)
        rc = dbmig_revision_new(c->h, &ro, nr);
    if (rc != DBMIG_OK || !*nr)
        return c->h && rc ? cli_fail(c, rc) : EXIT_FAIL;
    char *text = slurp((*nr)->file);
    char *up = text ? strstr(text, "\n-- dbmig:up\n") : NULL;
    int ok = up != NULL;
    if (ok) {
        *up = '\0';
        FILE *f = fopen((*nr)->file, "w");
        ok = f && fputs(text, f) >= 0 && fputs(first_sections, f) >= 0;
        ok = f ? (fclose(f) == 0 && ok) : 0;
    }
    free(text);
    if (!ok)
        return cli_errorf(c, EXIT_FAIL, "init: cannot add the comments to %s", (*nr)->file);
    return EXIT_OK;
}

/* The next step, for the text and the JSON. */
static void next_step(const init_plan *p, const char *file, char *buf, size_t cap)
{
    int dflt = strcmp(p->conf, "dbmig.conf") == 0; /* found without --config */
    if (p->kind == K_SQLITE)
        snprintf(buf, cap, "write your schema in %s, then run `dbmig%s%s upgrade`", file,
                 dflt ? "" : " --config ", dflt ? "" : p->conf);
    else
        snprintf(buf, cap,
                 "write your schema in %s, set DATABASE_URL=%s://USER@HOST/DATABASE (or the url "
                 "in %s), then run `dbmig%s%s upgrade`",
                 file, init_drivers[p->kind], p->conf, dflt ? "" : " --config ",
                 dflt ? "" : p->conf);
}

/* --format json: {"dry_run", "driver", "dir", "config", "revision",
 * "created": [paths, folders ending in /], "gitignore": {"file", "created",
 * "added"}, "next", "exit_code": 0}. nr is NULL for a dry run (the first
 * migration's name is then a pattern, "revision" null). */
static void print_json(const init_plan *p, const dbmig_new_revision *nr)
{
    char dir[4200], first[4400], next[9000];
    snprintf(dir, sizeof dir, "%s/", p->dir);
    snprintf(first, sizeof first, "%s", nr ? nr->file : "");
    if (!nr)
        snprintf(first, sizeof first, "%s/<UTC time>_first_migration.sql", p->dir);
    next_step(p, first, next, sizeof next);
    json_t *j = json_object(), *created = json_array(), *gi = json_object();
    json_object_set_new(j, "command", json_string("init"));
    json_object_set_new(j, "ok", json_true());
    json_object_set_new(j, "dry_run", json_boolean(nr == NULL));
    json_object_set_new(j, "driver", json_string(init_drivers[p->kind]));
    json_object_set_new(j, "dir", json_string(p->dir));
    json_object_set_new(j, "config", json_string(p->conf));
    json_object_set_new(j, "revision", nr ? json_string(nr->revision) : json_null());
    if (!p->dir_exists)
        json_array_append_new(created, json_string(dir));
    json_array_append_new(created, json_string(first));
    json_array_append_new(created, json_string(p->conf));
    json_object_set_new(j, "created", created);
    json_object_set_new(gi, "file", json_string(".gitignore"));
    json_object_set_new(gi, "created", json_boolean(!p->gi_exists && p->ngi_add));
    json_object_set_new(gi, "added", cli_json_strs(p->gi_add, p->ngi_add));
    json_object_set_new(j, "gitignore", gi);
    json_object_set_new(j, "next", json_string(next));
    json_object_set_new(j, "exit_code", json_integer(EXIT_OK));
    json_object_set_new(j, "error", json_null());
    cli_json_print(p->c, j);
}

static void print_done(const init_plan *p, const dbmig_new_revision *nr)
{
    if (p->json) {
        print_json(p, nr);
        return;
    }
    char next[9000];
    if (!p->dir_exists)
        printf("created %s/\n", p->dir);
    printf("created %s: revision %s, parent base\n", nr->file, nr->revision);
    printf("created %s (driver %s)\n", p->conf, init_drivers[p->kind]);
    if (p->ngi_add) {
        printf("%s .gitignore:", p->gi_exists ? "added to" : "created");
        for (size_t i = 0; i < p->ngi_add; i++)
            printf(" %s", p->gi_add[i]);
        putchar('\n');
    }
    next_step(p, nr->file, next, sizeof next);
    printf("next: %s\n", next);
}

/* --dry-run: what init would create, and nothing written (a dry run never
 * writes). The first migration's name is the UTC time of the real run. */
static int print_dry(const init_plan *p)
{
    if (p->json) {
        print_json(p, NULL);
        return EXIT_OK;
    }
    if (!p->dir_exists)
        printf("would create %s/\n", p->dir);
    printf("would create %s/<UTC time>_first_migration.sql (revision <UTC time>, parent base)\n",
           p->dir);
    printf("would create %s (driver %s)\n", p->conf, init_drivers[p->kind]);
    if (p->ngi_add) {
        printf("would %s .gitignore:", p->gi_exists ? "add to" : "create");
        for (size_t i = 0; i < p->ngi_add; i++)
            printf(" %s", p->gi_add[i]);
        putchar('\n');
    }
    printf("dry run: nothing was written; run `dbmig init` without --dry-run to create them\n");
    return EXIT_OK;
}

static int fail_errno(const init_plan *p, const char *what, const char *path)
{
    return init_fail(p, EXIT_FAIL, "cannot %s %s: %s", what, path, strerror(errno));
}

/* --format: text (the default) or json; anything else is exit 2. */
static int pick_format(cli *c, init_plan *p)
{
    static const char *const formats[] = {"text", "json"};
    const char *f = cli_config_get(&c->cfg, "format");
    if (!f || strcmp(f, "text") == 0)
        return EXIT_OK;
    if (strcmp(f, "json") == 0) {
        p->json = 1;
        return EXIT_OK;
    }
    const char *near = cli_suggest(f, formats, 2);
    return cli_errorf(c, EXIT_USAGE,
                      "init: bad value '%s' for format (from %s): expected text or json%s%s%s", f,
                      cli_config_source(&c->cfg, "format"), near ? " (did you mean " : "",
                      near ? near : "", near ? "?)" : "");
}

int cmd_init(cli *c)
{
    char err[1024];
    init_plan p;
    memset(&p, 0, sizeof p);
    p.c = c;
    c->settings_read = 1; /* init reads no config file: nor does main.c's JSON fallback */
    int rc = cli_need_args(c, 0, 0);
    if (rc != EXIT_OK)
        return rc;
    if (cli_config_load_env(&c->cfg, err, sizeof err) != 0)
        return cli_errorf(c, EXIT_USAGE, "%s", err);
    if ((rc = pick_format(c, &p)) != EXIT_OK)
        return rc;
    c->json = p.json;
    c->json_settled = 1;
    if ((rc = pick_driver(c, &p)) != EXIT_OK)
        return rc;
    p.conf = cli_config_get(&c->cfg, "config");
    p.conf = p.conf ? p.conf : "dbmig.conf";
    p.dir = cli_config_get(&c->cfg, "dir");
    p.dir = p.dir ? p.dir : "migrations";
    if ((rc = plan_check(&p)) != EXIT_OK)
        return rc;
    if (cli_config_on(&c->cfg, "dry-run"))
        return print_dry(&p);
    if (!(p.conf_dir = conf_dir_value(&p)))
        return fail_errno(&p, "find the working folder for", p.dir);
    dbmig_new_revision *nr = NULL;
    if (!p.dir_exists && mkdir_p(p.dir) != 0)
        rc = fail_errno(&p, "create the folder", p.dir);
    if (rc == EXIT_OK)
        rc = write_first(c, &p, &nr);
    if (rc == EXIT_OK && write_conf(&p) != 0)
        rc = fail_errno(&p, "write", p.conf);
    if (rc == EXIT_OK && write_gitignore(&p) != 0)
        rc = fail_errno(&p, "write", ".gitignore");
    if (rc == EXIT_OK && nr)
        print_done(&p, nr);
    dbmig_new_revision_free(nr);
    free(p.conf_dir);
    return rc;
}
