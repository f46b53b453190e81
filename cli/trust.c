/* trust.c — the ownership rule for config-named plugin folders (trust.h). */
#define _GNU_SOURCE /* realpath, PATH_MAX */
#include "trust.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *tr_owner(uid_t uid, char *buf, size_t cap)
{
    struct passwd *pw = getpwuid(uid);
    if (pw && pw->pw_name)
        snprintf(buf, cap, "%s (uid %ld)", pw->pw_name, (long)uid);
    else
        snprintf(buf, cap, "uid %ld", (long)uid);
    return buf;
}

/* Checks one folder and every folder above it. */
static int tr_one(const char *dir, const char *conf, char *err, size_t cap)
{
    char real[PATH_MAX];
    if (!realpath(dir, real)) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 0; /* nothing can be loaded from it */
        snprintf(err, cap, "cannot check plugin-dir %s set by the config file %s: %s", dir, conf,
                 strerror(errno));
        return -1;
    }
    uid_t me = geteuid();
    size_t len = strlen(real);
    /* from the folder itself up to "/" */
    for (;;) {
        struct stat st;
        if (stat(real, &st) != 0) {
            snprintf(err, cap, "cannot check plugin folder %s (plugin-dir in %s): %s", real, conf,
                     strerror(errno));
            return -1;
        }
        int self = strlen(real) == len;
        char where[PATH_MAX + 32];
        if (self)
            snprintf(where, sizeof where, "the folder");
        else
            snprintf(where, sizeof where, "the folder above it, %s,", real);
        if (st.st_uid != me && st.st_uid != 0) {
            char who[96];
            snprintf(err, cap,
                     "refusing plugin-dir %s set by the config file %s: %s is owned by %s, "
                     "neither you nor root, so code in it is not yours to run (a config file "
                     "that came with a cloned repository would otherwise run that repository's "
                     "plugin); if you trust it, pass --plugin-dir %s on the command line (or "
                     "set DBMIG_PLUGIN_PATH), or take ownership: chown -R %ld %s",
                     dir, conf, where, tr_owner(st.st_uid, who, sizeof who), dir, (long)me, real);
            return -1;
        }
        int writable = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
        if (writable && (self || !(st.st_mode & S_ISVTX))) {
            snprintf(err, cap,
                     "refusing plugin-dir %s set by the config file %s: %s is writable by %s, "
                     "so others could put code in it; chmod go-w %s (or pass --plugin-dir %s "
                     "on the command line if you trust it)",
                     dir, conf, where, (st.st_mode & S_IWOTH) ? "everyone" : "its group", real, dir);
            return -1;
        }
        if (strcmp(real, "/") == 0)
            break;
        char *slash = strrchr(real, '/');
        if (slash == real)
            slash[1] = '\0';
        else
            *slash = '\0';
    }
    return 0;
}

int cli_plugin_dir_trusted(const char *dirs, const char *conf, char *err, size_t cap)
{
    if (!dirs)
        return 0;
    const char *p = dirs;
    for (;;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n > 0 && n < PATH_MAX) {
            char one[PATH_MAX];
            memcpy(one, p, n);
            one[n] = '\0';
            if (tr_one(one, conf, err, cap) != 0)
                return -1;
        }
        if (!colon)
            break;
        p = colon + 1;
    }
    return 0;
}
