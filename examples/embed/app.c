/*
 * examples/embed/app.c — the pattern libdbmig exists for: an application that
 * migrates its own database at start-up and refuses to start when that fails,
 * then answers a readiness check from the pending count.
 *
 *   app --url URL --dir DIR [--check-only]
 *
 * Start-up: open a handle, upgrade to head, print `ready: pending=0` (a real
 * application would now serve requests and expose the readiness check over
 * HTTP) and exit 0. On failure it prints dbmig_errmsg() and exits with -rc,
 * the same code the dbmig CLI would use.
 *
 * --check-only: migrate nothing; exit 0 with `ready: pending=0` when every
 * migration is applied, else 1 with `not ready: pending=N`. This is what a
 * readiness probe runs while another replica (or a deploy job) migrates.
 *
 * Uses only <dbmig/dbmig.h>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbmig/dbmig.h>

/* Progress lines on stderr, one per migration. */
static void on_event(void *payload, const dbmig_event *ev)
{
    (void)payload;
    switch (ev->kind) {
    case DBMIG_EV_LOCK_WAIT:
        fprintf(stderr, "app: waiting for the migration lock%s%s\n", ev->text ? ": " : "",
                ev->text ? ev->text : "");
        break;
    case DBMIG_EV_DONE:
        fprintf(stderr, "app: %s %s (%s) %.0f ms\n", ev->downgrade ? "reverted" : "applied",
                ev->revision ? ev->revision : "?", ev->message ? ev->message : "", ev->ms);
        break;
    case DBMIG_EV_FAILED:
        fprintf(stderr, "app: FAILED %s (%s)\n", ev->revision ? ev->revision : "?",
                ev->message ? ev->message : "");
        break;
    default:
        break;
    }
}

static void usage(FILE *to)
{
    fprintf(to, "usage: app --url URL [--dir DIR] [--check-only]\n"
                "  Migrates the database to head at start-up, then reports readiness.\n"
                "  URL defaults to $DATABASE_URL, DIR to ./migrations.\n");
}

/* Prints why h failed and returns the exit code for rc. */
static int die(dbmig *h, const char *what, int rc)
{
    fprintf(stderr, "app: %s failed: %s\n", what, h ? dbmig_errmsg(h) : "out of memory");
    fprintf(stderr, "app: refusing to start\n");
    return rc < 0 ? -rc : 1;
}

int main(int argc, char **argv)
{
    const char *url = getenv("DATABASE_URL");
    const char *dir = NULL;
    int check_only = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            url = argv[++i];
        } else if (strncmp(argv[i], "--url=", 6) == 0) {
            url = argv[i] + 6;
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strncmp(argv[i], "--dir=", 6) == 0) {
            dir = argv[i] + 6;
        } else if (strcmp(argv[i], "--check-only") == 0) {
            check_only = 1;
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "app: unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (url == NULL || *url == '\0') {
        fprintf(stderr, "app: no database URL: give --url or set DATABASE_URL\n");
        return 2;
    }

    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.url = url;
    o.dir = dir;
    o.on_event = on_event;

    dbmig *h = NULL;
    int rc = dbmig_open(&h, &o);
    if (rc != DBMIG_OK) {
        int code = die(h, "opening the migrations", rc);
        dbmig_close(h);
        return code;
    }

    if (!check_only) {
        rc = dbmig_upgrade(h, "head", 0);
        if (rc != DBMIG_OK) {
            int code = die(h, "migrating the database", rc);
            dbmig_close(h);
            return code;
        }
    }

    /* The readiness check. */
    size_t pending = 0;
    rc = dbmig_pending(h, &pending);
    if (rc != DBMIG_OK) {
        int code = die(h, "reading the migration status", rc);
        dbmig_close(h);
        return code;
    }
    dbmig_close(h);

    if (pending != 0) {
        printf("not ready: pending=%zu\n", pending);
        return 1;
    }
    printf("ready: pending=0\n");
    return 0;
}
