/* loader.c — finding and loading driver plugins with libltdl (see loader.h).
 *
 * The only file of the project that includes <ltdl.h>. Design:
 *   - lt_dlinit() is called once per loaded plugin and lt_dlexit() once per
 *     unload (and once for every failed load that got past lt_dlinit):
 *     libltdl counts the calls itself, so we keep no count of our own. The
 *     last lt_dlexit() of the process shuts libltdl down (it closes every
 *     handle still open that is not made resident); the next lt_dlinit()
 *     starts it again.
 *   - Files are always opened by their full path (a relative --plugin-dir is
 *     made absolute first), with lt_dladvise ext + local: the name already
 *     carries its extension, so libltdl never searches its own path or the
 *     working folder, and two plugins' symbols never collide.
 *   - Before a file is opened (which would run its constructors) the file and
 *     its folder are checked: writable by everyone is a refusal.
 *   - After the entry point returns the table, its ABI major, size, name and
 *     required methods are checked against ONE list of the table's methods
 *     (ld_methods: name, offset, required, minor); every refusal message is
 *     built before the module is closed, since its strings live in the
 *     module. The same check serves a table handed in by a test
 *     (dm_driver_check).
 *   - A driver with unload_safe == 0 (its client library installs exit
 *     handlers) is pinned with the dynamic loader's RTLD_NODELETE before
 *     its libltdl handle is closed: the code stays mapped for the life of
 *     the process, and libltdl's bookkeeping is still freed (no leak).
 *
 * Threads ("one handle per thread", dbmig.h): libltdl itself is not
 * thread-safe. Its init count, handle list, loader list and last error are
 * plain globals, with no lock (libltdl 2 dropped lt_dlmutex_register), so
 * two threads loading or unloading plugins at once corrupt its list, let one
 * thread's lt_dlexit() shut it down under another's lt_dlopen(), or read each
 * other's lt_dlerror(). Every libltdl call therefore runs with ld_lock held
 * (ld_open and ld_close are the only functions that call libltdl), and
 * lt_dlerror() is read under the same hold as the call that failed, so the
 * message is that call's. The lock is not held while the driver's entry
 * point runs or its table is checked: the handle is ours by then (our own
 * reference, which only our ld_close drops), and the dynamic loader
 * (dlopen/dlclose, which libltdl calls) has its own lock.
 */
#define _GNU_SOURCE /* realpath, PATH_MAX, RTLD_NODELETE */
#include "loader.h"

#include <ltdl.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The plugin folder, relative to the folder holding libdbmig itself (the
 * installed lib/dbmig, and the same layout in the build tree). */
#ifndef DBMIG_PLUGIN_SUBDIR
#define DBMIG_PLUGIN_SUBDIR "dbmig"
#endif

#define NAME_MAX_LEN 64
#define FILE_PREFIX "dbmig_"
#define FILE_SUFFIX ".so"

/* The library's one piece of process-wide state, and it is synchronisation,
 * not program state: the mutex that serialises every call into libltdl
 * (see the top of this file). Statically initialised, so there is no init
 * or destroy call to order, nothing to free at exit, and a program that
 * never loads a plugin never touches it. Held only around libltdl calls:
 * never while a driver's code runs, never across a call out of this file. */
static pthread_mutex_t ld_lock = PTHREAD_MUTEX_INITIALIZER;

struct dm_plugin {
    lt_dlhandle handle;
    const dbmig_driver *drv;
    char *file;
    int resident; /* never lt_dlclose()d */
};

/* ---- names and paths ---------------------------------------------------- */

static int ld_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > NAME_MAX_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

/* "dbmig_<name>.so" (any folder) → newly allocated "<name>", or NULL. */
static char *ld_name_from_file(const char *file)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t pl = strlen(FILE_PREFIX), sl = strlen(FILE_SUFFIX), bl = strlen(base);
    if (bl <= pl + sl || strncmp(base, FILE_PREFIX, pl) != 0 ||
        strcmp(base + bl - sl, FILE_SUFFIX) != 0)
        return NULL;
    return dm_strndup(base + pl, bl - pl - sl);
}

/* The folder of the file that holds this code (libdbmig.so, or the program
 * it is linked into statically), resolved, with "/" DBMIG_PLUGIN_SUBDIR
 * appended: where an install put the plugins, whatever prefix it was given
 * (nothing about the configure-time prefix or the build tree is compiled
 * in). Found with dladdr() at run time. */
static const char ld_anchor = 0;

static int ld_own_plugin_dir(dm_buf *out)
{
    Dl_info info;
    char real[PATH_MAX];
    if (!dladdr(&ld_anchor, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
        return -1;
    char *slash = strrchr(real, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return dm_buf_printf(out, "%s/%s", real[0] ? real : "", DBMIG_PLUGIN_SUBDIR);
}

/* Pushes dir (made absolute, without trailing '/') unless already present. */
static int ld_push_dir(dm_strv *dirs, const char *dir, size_t n)
{
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (n == 0)
        return 0; /* an empty component never means "the working folder" */
    dm_buf b = {0};
    if (dir[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return 0; /* cannot make it absolute: skip it */
        if (dm_buf_puts(&b, cwd) || (strcmp(cwd, "/") != 0 && dm_buf_puts(&b, "/")))
            goto nomem;
    }
    if (dm_buf_append(&b, dir, n))
        goto nomem;
    for (size_t i = 0; i < dirs->n; i++) {
        if (strcmp(dirs->v[i], dm_buf_str(&b)) == 0) {
            dm_buf_free(&b);
            return 0;
        }
    }
    int rc = dm_strv_push(dirs, dm_buf_str(&b));
    dm_buf_free(&b);
    return rc;
nomem:
    dm_buf_free(&b);
    return -1;
}

static int ld_dirs(const char *plugin_path, dm_strv *dirs)
{
    if (plugin_path) {
        const char *p = plugin_path;
        for (;;) {
            const char *colon = strchr(p, ':');
            size_t n = colon ? (size_t)(colon - p) : strlen(p);
            if (ld_push_dir(dirs, p, n))
                return -1;
            if (!colon)
                break;
            p = colon + 1;
        }
    }
    dm_buf own = {0};
    if (ld_own_plugin_dir(&own) == 0 && ld_push_dir(dirs, own.ptr, own.len)) {
        dm_buf_free(&own);
        return -1;
    }
    dm_buf_free(&own);
    return 0;
}

int dm_plugin_search_dirs(const char *plugin_path, dm_buf *out)
{
    dm_strv dirs = {0};
    int rc = ld_dirs(plugin_path, &dirs);
    for (size_t i = 0; rc == 0 && i < dirs.n; i++) {
        if ((i && dm_buf_puts(out, ", ")) || dm_buf_puts(out, dirs.v[i]))
            rc = -1;
    }
    dm_strv_free(&dirs);
    return rc ? DBMIG_ERROR : DBMIG_OK;
}

/* ---- safety checks before opening --------------------------------------- */

static int ld_check_writable(const char *file, dm_err *err)
{
    struct stat st;
    if (stat(file, &st) != 0)
        return dm_err_set(err, DBMIG_EUSAGE, "cannot load plugin %s: %s", file, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return dm_err_set(err, DBMIG_EUSAGE, "cannot load plugin %s: not a regular file", file);
    if (st.st_mode & S_IWOTH)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "refusing to load %s: it is writable by everyone; chmod o-w it", file);

    /* The folder as given and, through symlinks, the folder it really is in. */
    char real[PATH_MAX];
    const char *cands[2] = {file, realpath(file, real) ? real : NULL};
    for (int i = 0; i < 2; i++) {
        if (!cands[i])
            continue;
        const char *slash = strrchr(cands[i], '/');
        char *dir = slash ? dm_strndup(cands[i], slash == cands[i] ? 1 : (size_t)(slash - cands[i]))
                          : dm_strdup(".");
        if (!dir)
            return dm_err_nomem(err);
        if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH)) {
            dm_err_set(err, DBMIG_EUSAGE,
                       "refusing to load %s: its folder %s is writable by everyone, so anyone "
                       "could replace the plugin; chmod o-w %s or move the plugin elsewhere",
                       file, dir, dir);
            free(dir);
            return DBMIG_EUSAGE;
        }
        free(dir);
    }
    return DBMIG_OK;
}

/* ---- checks on the table ------------------------------------------------ */

/* THE list of the table's methods (driver.h): the loader's checks, the
 * minimum size of each minor and plugins/README.md's table all follow it.
 * A minor appends optional entries only; `since` is the minor that added
 * the entry. */
typedef struct ld_method {
    const char *name;
    size_t off;
    unsigned char required;
    unsigned char since; /* ABI 2.<since> */
} ld_method;

#define LD_M(m, req) {#m, offsetof(dbmig_driver, m), req, 0}
#define LD_M21(m) {#m, offsetof(dbmig_driver, m), 0, 1}
static const ld_method ld_methods[] = {
    LD_M(init, 0),           LD_M(fini, 0),
    LD_M(connect, 1),        LD_M(close, 1),         LD_M(exec, 1),
    LD_M(query, 1),          LD_M(begin, 1),         LD_M(commit, 1),
    LD_M(rollback, 1),       LD_M(try_lock, 1),      LD_M(unlock, 1),
    LD_M(table_exists, 1),   LD_M(quote_ident, 1),   LD_M(quote_literal, 1),
    LD_M(last_error, 1),
    LD_M(column_exists, 0),  LD_M(index_exists, 0),  LD_M(server_version, 0),
    LD_M(conn_caps, 0),      LD_M(cancel, 0),
    LD_M21(inspect),         LD_M21(scratch_create), LD_M21(scratch_drop),
};
#undef LD_M
#undef LD_M21

#define LD_NMETHODS (sizeof ld_methods / sizeof ld_methods[0])
#define LD_FNSIZE sizeof(void (*)(void))

/* The smallest table a plugin of ABI 2.<minor> may have: up to the end of
 * the last entry of that minor (an unknown newer minor: of ours). */
static size_t ld_min_size(unsigned minor)
{
    size_t need = 0;
    for (size_t i = 0; i < LD_NMETHODS; i++)
        if (ld_methods[i].since <= minor && ld_methods[i].off + LD_FNSIZE > need)
            need = ld_methods[i].off + LD_FNSIZE;
    return need;
}

/* Whether the table's method at off is set (within size). */
static int ld_has(const dbmig_driver *d, size_t off)
{
    void (*fp)(void) = NULL;
    if (d->size < off + LD_FNSIZE)
        return 0;
    memcpy(&fp, (const char *)d + off, sizeof fp);
    return fp != NULL;
}

int dm_driver_check(const char *file, const char *name, const dbmig_driver *d, dm_err *err)
{
    if (!d)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s: dbmig_driver_entry_%s() returned no driver table; "
                          "the plugin is broken, rebuild or reinstall it",
                          file, name);
    if (d->abi_major == 1)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s was built for driver ABI %u.%u but this dbmig speaks ABI "
                          "%d.%d, which it cannot load: rebuild the plugin against this dbmig's "
                          "<dbmig/driver.h> (ABI 2 passes a self pointer to every method, "
                          "reports error kinds and takes the dialect's SQL from the driver; "
                          "plugins/README.md, \"From ABI 1 to ABI 2\", lists the changes)",
                          file, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                          DBMIG_DRIVER_ABI_MAJOR, DBMIG_DRIVER_ABI_MINOR);
    if (d->abi_major != DBMIG_DRIVER_ABI_MAJOR)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s was built for driver ABI %u.%u but this dbmig speaks ABI "
                          "%d.%d; rebuild the plugin against this dbmig's <dbmig/driver.h>",
                          file, (unsigned)d->abi_major, (unsigned)d->abi_minor,
                          DBMIG_DRIVER_ABI_MAJOR, DBMIG_DRIVER_ABI_MINOR);
    size_t need = ld_min_size(d->abi_minor);
    if (d->size < need)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s declares driver ABI %u.%u but its table is too small "
                          "(%u bytes; ABI %u.%u needs at least %zu); rebuild the plugin against "
                          "this dbmig's <dbmig/driver.h> (ABI %d.%d)",
                          file, (unsigned)d->abi_major, (unsigned)d->abi_minor, (unsigned)d->size,
                          (unsigned)d->abi_major, (unsigned)d->abi_minor, need,
                          DBMIG_DRIVER_ABI_MAJOR, DBMIG_DRIVER_ABI_MINOR);
    if (!d->name || strcmp(d->name, name) != 0)
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s calls itself '%.64s' but its file name says '%s'; a plugin "
                          "for driver '%s' must be named dbmig_%s.so: rename the file or fix the "
                          "driver's name",
                          file, d->name ? d->name : "(null)", name, name, name);
    for (size_t i = 0; i < LD_NMETHODS; i++) {
        const ld_method *m = &ld_methods[i];
        if (m->required && m->since <= d->abi_minor && !ld_has(d, m->off))
            return dm_err_set(err, DBMIG_EUSAGE,
                              "plugin %s (driver '%s' %s) lacks the required function %s "
                              "(it is NULL in the driver table); the plugin is incomplete: "
                              "fix it or ask its author",
                              file, name, d->version ? d->version : "?", m->name);
    }
    if (ld_has(d, offsetof(dbmig_driver, init)) != ld_has(d, offsetof(dbmig_driver, fini)))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s (driver '%s' %s) has %s but not %s: a driver with state "
                          "sets both (driver.h); fix it or ask its author",
                          file, name, d->version ? d->version : "?", d->init ? "init" : "fini",
                          d->init ? "fini" : "init");
    if (d->sql && d->sql->size < sizeof(uint32_t))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "plugin %s (driver '%s' %s): its dialect SQL table declares size %u; "
                          "fill it with DBMIG_DIALECT_SQL_HEADER",
                          file, name, d->version ? d->version : "?", (unsigned)d->sql->size);
    return DBMIG_OK;
}

int dm_db_error_format(dm_buf *out, const dbmig_db_error *e)
{
    int rc = dm_buf_puts(out, e && e->message[0] ? e->message : "unknown error");
    if (e && e->code[0])
        rc |= dm_buf_printf(out, " [%.*s]", (int)sizeof e->code, e->code);
    if (e && e->detail[0])
        rc |= dm_buf_printf(out, "\n  detail: %.*s", (int)sizeof e->detail, e->detail);
    if (e && e->hint[0])
        rc |= dm_buf_printf(out, "\n  hint: %.*s", (int)sizeof e->hint, e->hint);
    return rc ? -1 : 0;
}

int dm_db_error_note(dm_err *err, const dbmig_db_error *e)
{
    const char *s[3] = {e ? e->code : NULL, e ? e->detail : NULL, e ? e->hint : NULL};
    const size_t n[3] = {sizeof e->code, sizeof e->detail, sizeof e->hint};
    return dm_err_db(err, s, n);
}

const char *dm_dialect_sql_at(const dbmig_driver *d, size_t off)
{
    const char *s = NULL;
    if (d && d->size >= offsetof(dbmig_driver, sql) + sizeof(void *) && d->sql &&
        d->sql->size >= off + sizeof s)
        memcpy(&s, (const char *)d->sql + off, sizeof s);
    return s;
}

/* ---- load / unload ------------------------------------------------------ */

/* Drops our reference: the handle (unless resident) and our lt_dlinit(). */
static void ld_close(lt_dlhandle h, int resident)
{
    pthread_mutex_lock(&ld_lock);
    if (h && !resident)
        lt_dlclose(h);
    lt_dlexit();
    pthread_mutex_unlock(&ld_lock);
}

/* lt_dlinit(), opens `full` and looks up `sym`, all under ld_lock; the
 * refusals read lt_dlerror() under the same hold. On success *h holds our
 * reference (released by ld_close) and *fp the symbol, possibly NULL (a
 * missing symbol is the caller's refusal, after the module is closed). */
static int ld_open(const char *full, const char *sym, lt_dlhandle *h, void **fp, dm_err *err)
{
    int rc = DBMIG_OK;
    *h = NULL;
    *fp = NULL;
    pthread_mutex_lock(&ld_lock);
    if (lt_dlinit() != 0) {
        const char *e = lt_dlerror();
        rc = dm_err_set(err, DBMIG_ERROR, "cannot initialise libltdl: %s", e ? e : "unknown error");
        lt_dlexit();
        goto out;
    }
    lt_dladvise adv;
    if (lt_dladvise_init(&adv) == 0) {
        if (lt_dladvise_ext(&adv) == 0 && lt_dladvise_local(&adv) == 0)
            *h = lt_dlopenadvise(full, adv);
        lt_dladvise_destroy(&adv);
    }
    if (!*h) {
        const char *e = lt_dlerror();
        /* libltdl says "file not found" for a file that exists but cannot be
         * loaded (a missing dependency, a wrong architecture); the dynamic
         * loader's own message names the library that is missing
         * ("libpq.so.5: cannot open shared object file"), so ask it. */
        char why[512] = "";
        void *d = dlopen(full, RTLD_LAZY | RTLD_LOCAL);
        const char *de = d ? NULL : dlerror();
        if (d)
            dlclose(d);
        if (de)
            snprintf(why, sizeof why, "%s", de);
        rc = dm_err_set(err, DBMIG_EUSAGE,
                        "cannot load plugin %s: %s (the file exists: is a shared library it "
                        "needs missing, or was it built for another system? install the "
                        "library named, or check with `ldd %s`)",
                        full, why[0] ? why : e ? e : "unknown error", full);
        lt_dlexit();
        goto out;
    }
    *fp = lt_dlsym(*h, sym);
    if (!*fp)
        (void)lt_dlerror(); /* clear it: the refusal is the caller's own message */
out:
    pthread_mutex_unlock(&ld_lock);
    return rc;
}

/* The driver's name for file: name when given, else from the file name
 * (dbmig_<name>.so); checked. *owned receives what to free. */
static int ld_file_name(const char *file, const char **name, char **owned, dm_err *err)
{
    *owned = NULL;
    if (!*name) {
        *owned = ld_name_from_file(file);
        if (!*owned)
            return dm_err_set(err, DBMIG_EUSAGE,
                              "cannot load plugin %s: a driver plugin's file is named "
                              "dbmig_<name>.so",
                              file);
        *name = *owned;
    }
    if (!ld_name_ok(*name))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "cannot load plugin %s: invalid driver name '%.80s' (use 1-%d characters "
                          "of [a-z0-9_])",
                          file, *name, NAME_MAX_LEN);
    return DBMIG_OK;
}

/* file as a full path: never let a bare name reach libltdl's search. */
static int ld_full_path(const char *file, dm_buf *path, dm_err *err)
{
    if (file[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return dm_err_set(err, DBMIG_EUSAGE, "cannot load plugin %s: %s", file,
                              strerror(errno));
        if (dm_buf_printf(path, "%s/", cwd))
            return dm_err_nomem(err);
    }
    return dm_buf_puts(path, file) ? dm_err_nomem(err) : DBMIG_OK;
}

/* Opens full, calls dbmig_driver_entry_<name>() and checks the table; on
 * success *h holds our reference and *d the table. */
static int ld_open_table(const char *full, const char *name, lt_dlhandle *h,
                         const dbmig_driver **d, dm_err *err)
{
    dm_buf sym = {0};
    if (dm_buf_printf(&sym, "dbmig_driver_entry_%s", name)) {
        dm_buf_free(&sym);
        return dm_err_nomem(err);
    }
    void *fp;
    int rc = ld_open(full, dm_buf_str(&sym), h, &fp, err);
    dm_buf_free(&sym);
    if (rc != DBMIG_OK)
        return rc;
    if (!fp) {
        rc = dm_err_set(err, DBMIG_EUSAGE,
                        "plugin %s has no symbol dbmig_driver_entry_%s: not a dbmig driver, or "
                        "built for another version?",
                        full, name);
        ld_close(*h, 0);
        return rc;
    }
    const dbmig_driver *(*entry)(void);
    /* POSIX guarantees object and function pointers convert. */
    memcpy(&entry, &fp, sizeof entry);
    *d = entry();
    /* Messages are built (copied) here, before the module is closed. */
    rc = dm_driver_check(full, name, *d, err);
    if (rc != DBMIG_OK)
        ld_close(*h, 0);
    return rc;
}

/* A driver that must never be unloaded (unload_safe == 0) is pinned: a
 * later lt_dlclose() then never unmaps it. If pinning fails, the handle is
 * made resident instead (or the process's last lt_dlexit() would close it
 * after all). */
static void ld_pin(dm_plugin *p)
{
    void *pin = dlopen(p->file, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    if (pin) {
        dlclose(pin);
        return;
    }
    pthread_mutex_lock(&ld_lock);
    p->resident = 1;
    (void)lt_dlmakeresident(p->handle);
    pthread_mutex_unlock(&ld_lock);
}

int dm_plugin_load_file(const char *file, const char *name, dm_plugin **out, dm_err *err)
{
    char *derived = NULL;
    dm_buf path = {0};
    lt_dlhandle h = NULL;
    const dbmig_driver *d = NULL;
    if (!file || !*file)
        return dm_err_set(err, DBMIG_EUSAGE, "no plugin file given");
    int rc = ld_file_name(file, &name, &derived, err);
    if (rc == DBMIG_OK)
        rc = ld_full_path(file, &path, err);
    if (rc == DBMIG_OK)
        rc = ld_check_writable(dm_buf_str(&path), err);
    if (rc == DBMIG_OK)
        rc = ld_open_table(dm_buf_str(&path), name, &h, &d, err);
    if (rc == DBMIG_OK) {
        dm_plugin *p = calloc(1, sizeof *p);
        if (!p) {
            rc = dm_err_nomem(err);
            ld_close(h, 0);
        } else {
            p->handle = h;
            p->drv = d;
            p->file = dm_buf_take(&path);
            if (d && !d->unload_safe) /* d is set when rc is OK */
                ld_pin(p);
            *out = p;
        }
    }
    dm_buf_free(&path);
    free(derived);
    return rc;
}

int dm_plugin_load(const char *plugin_path, const char *name, dm_plugin **out, dm_err *err)
{
    if (!name || !ld_name_ok(name))
        return dm_err_set(err, DBMIG_EUSAGE,
                          "invalid driver name '%.80s': a driver's name is 1-%d characters of "
                          "[a-z0-9_] (postgres, mysql, sqlite or a plugin's name)",
                          name ? name : "", NAME_MAX_LEN);
    dm_strv dirs = {0};
    if (ld_dirs(plugin_path, &dirs)) {
        dm_strv_free(&dirs);
        return dm_err_nomem(err);
    }
    int rc = DBMIG_EUSAGE, found = 0;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        dm_buf f = {0};
        if (dm_buf_printf(&f, "%s/" FILE_PREFIX "%s" FILE_SUFFIX, dirs.v[i], name)) {
            dm_buf_free(&f);
            dm_strv_free(&dirs);
            return dm_err_nomem(err);
        }
        struct stat st;
        if (stat(dm_buf_str(&f), &st) == 0) {
            found = 1; /* the first one found is the one: a refusal is final */
            rc = dm_plugin_load_file(dm_buf_str(&f), name, out, err);
        }
        dm_buf_free(&f);
    }
    if (!found) {
        dm_buf list = {0};
        for (size_t i = 0; i < dirs.n; i++) {
            if (i)
                dm_buf_puts(&list, ", ");
            dm_buf_puts(&list, dirs.v[i]);
        }
        rc = dm_err_set(err, DBMIG_EUSAGE,
                        "no driver '%s': looked for " FILE_PREFIX "%s" FILE_SUFFIX
                        " in %s; install it or pass --plugin-dir",
                        name, name, dirs.n ? dm_buf_str(&list) : "(no folders)");
        dm_buf_free(&list);
    }
    dm_strv_free(&dirs);
    return rc;
}

/* ---- URL schemes ---------------------------------------------------------- */

/* Levenshtein distance, capped (short names only). */
static size_t ld_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > NAME_MAX_LEN || lb > NAME_MAX_LEN)
        return (size_t)-1;
    size_t row[NAME_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

typedef struct ld_scan {
    const char *scheme;
    dm_strv owners; /* driver names declaring scheme */
    dm_strv files;
    char nearest[NAME_MAX_LEN + 1];
    size_t nearest_d;
    int nomem;
} ld_scan;

static void ld_consider(ld_scan *sc, const char *cand)
{
    size_t d = ld_distance(sc->scheme, cand);
    if (d < sc->nearest_d && strlen(cand) <= NAME_MAX_LEN) {
        sc->nearest_d = d;
        snprintf(sc->nearest, sizeof sc->nearest, "%s", cand);
    }
}

static void ld_scan_one(void *payload, const char *file, const dbmig_driver *drv,
                        const char *refusal)
{
    ld_scan *sc = payload;
    (void)refusal;
    if (!drv)
        return;
    ld_consider(sc, drv->name);
    int declares = 0;
    for (size_t i = 0; drv->schemes && drv->schemes[i]; i++) {
        ld_consider(sc, drv->schemes[i]);
        declares |= strcasecmp(drv->schemes[i], sc->scheme) == 0;
    }
    if (declares && (dm_strv_push(&sc->owners, drv->name) || dm_strv_push(&sc->files, file)))
        sc->nomem = 1;
}

int dm_plugin_load_scheme(const char *plugin_path, const char *scheme, dm_plugin **out,
                          dm_err *err)
{
    /* A plugin named after the scheme wins (postgres://, sqlite:, ...). */
    if (ld_name_ok(scheme)) {
        dm_strv dirs = {0};
        if (ld_dirs(plugin_path, &dirs)) {
            dm_strv_free(&dirs);
            return dm_err_nomem(err);
        }
        int found = 0;
        for (size_t i = 0; i < dirs.n && !found; i++) {
            dm_buf f = {0};
            struct stat st;
            if (dm_buf_printf(&f, "%s/" FILE_PREFIX "%s" FILE_SUFFIX, dirs.v[i], scheme)) {
                dm_buf_free(&f);
                dm_strv_free(&dirs);
                return dm_err_nomem(err);
            }
            found = stat(dm_buf_str(&f), &st) == 0;
            dm_buf_free(&f);
        }
        dm_strv_free(&dirs);
        if (found)
            return dm_plugin_load(plugin_path, scheme, out, err);
    }
    /* Else the one plugin that declares the scheme. */
    ld_scan sc;
    memset(&sc, 0, sizeof sc);
    sc.scheme = scheme;
    sc.nearest_d = (size_t)-1;
    int rc = dm_plugin_foreach(plugin_path, ld_scan_one, &sc, err);
    if (rc == DBMIG_OK && sc.nomem)
        rc = dm_err_nomem(err);
    if (rc == DBMIG_OK && sc.owners.n == 1) {
        rc = dm_plugin_load(plugin_path, sc.owners.v[0], out, err);
    } else if (rc == DBMIG_OK && sc.owners.n > 1) {
        dm_buf list = {0};
        for (size_t i = 0; i < sc.owners.n; i++)
            dm_buf_printf(&list, "%s%s (%s)", i ? ", " : "", sc.owners.v[i], sc.files.v[i]);
        rc = dm_err_set(err, DBMIG_EUSAGE,
                        "URL scheme '%s' is declared by %zu drivers: %s; pass --driver NAME to "
                        "choose one",
                        scheme, sc.owners.n, dm_buf_str(&list));
        dm_buf_free(&list);
    } else if (rc == DBMIG_OK) {
        dm_buf dirs = {0};
        dm_plugin_search_dirs(plugin_path, &dirs);
        dm_buf hint = {0};
        if (sc.nearest[0] && sc.nearest_d <= 2 + strlen(scheme) / 4)
            dm_buf_printf(&hint, "did you mean '%s:'? ", sc.nearest);
        rc = dm_err_set(err, DBMIG_EUSAGE,
                        "no driver for URL scheme '%s': no plugin dbmig_%s.so, and no plugin "
                        "declares that scheme (searched %s); %sstart the URL with a driver's "
                        "scheme (`dbmig drivers` lists them), install the plugin or pass "
                        "--plugin-dir / --driver",
                        scheme, scheme, dirs.len ? dm_buf_str(&dirs) : "(no folders)",
                        dm_buf_str(&hint));
        dm_buf_free(&dirs);
        dm_buf_free(&hint);
    }
    dm_strv_free(&sc.owners);
    dm_strv_free(&sc.files);
    return rc;
}

const dbmig_driver *dm_plugin_driver(const dm_plugin *p) { return p ? p->drv : NULL; }

const char *dm_plugin_file(const dm_plugin *p) { return p ? p->file : NULL; }

void dm_plugin_unload(dm_plugin *p)
{
    if (!p)
        return;
    ld_close(p->handle, p->resident);
    free(p->file);
    free(p);
}

/* ---- listing ------------------------------------------------------------ */

static int ld_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int dm_plugin_foreach(const char *plugin_path, dm_plugin_each_fn cb, void *payload, dm_err *err)
{
    dm_strv dirs = {0}, seen = {0};
    int rc = DBMIG_OK;
    if (ld_dirs(plugin_path, &dirs)) {
        rc = dm_err_nomem(err);
        goto done;
    }
    for (size_t i = 0; i < dirs.n && rc == DBMIG_OK; i++) {
        DIR *dh = opendir(dirs.v[i]);
        if (!dh)
            continue; /* a folder that does not exist holds no plugins */
        dm_strv names = {0};
        struct dirent *de;
        while ((de = readdir(dh)) != NULL) {
            char *n = ld_name_from_file(de->d_name);
            if (!n)
                continue;
            free(n);
            if (dm_strv_push(&names, de->d_name)) {
                rc = dm_err_nomem(err);
                break;
            }
        }
        closedir(dh);
        if (names.n)
            qsort(names.v, names.n, sizeof names.v[0], ld_cmp);
        for (size_t j = 0; j < names.n && rc == DBMIG_OK; j++) {
            char *n = ld_name_from_file(names.v[j]);
            int dup = 0;
            for (size_t k = 0; n && k < seen.n; k++)
                dup |= strcmp(seen.v[k], n) == 0;
            if (!n || dup) {
                free(n);
                continue;
            }
            dm_buf f = {0};
            if (dm_strv_push(&seen, n) || dm_buf_printf(&f, "%s/%s", dirs.v[i], names.v[j])) {
                free(n);
                dm_buf_free(&f);
                rc = dm_err_nomem(err);
                break;
            }
            struct stat st;
            if (stat(dm_buf_str(&f), &st) == 0 && S_ISREG(st.st_mode)) {
                dm_plugin *p = NULL;
                dm_err e = {0};
                if (dm_plugin_load_file(dm_buf_str(&f), n, &p, &e) == DBMIG_OK) {
                    cb(payload, dm_plugin_file(p), dm_plugin_driver(p), NULL);
                    dm_plugin_unload(p);
                } else {
                    cb(payload, dm_buf_str(&f), NULL, dm_err_msg(&e));
                }
                dm_err_free(&e);
            }
            free(n);
            dm_buf_free(&f);
        }
        dm_strv_free(&names);
    }
done:
    dm_strv_free(&dirs);
    dm_strv_free(&seen);
    return rc;
}

int dm_plugin_names(const char *plugin_path, dm_strv *out, dm_err *err)
{
    dm_strv dirs = {0};
    int rc = ld_dirs(plugin_path, &dirs) ? dm_err_nomem(err) : DBMIG_OK;
    for (size_t i = 0; i < dirs.n && rc == DBMIG_OK; i++) {
        DIR *dh = opendir(dirs.v[i]);
        if (!dh)
            continue;
        struct dirent *de;
        while (rc == DBMIG_OK && (de = readdir(dh)) != NULL) {
            char *n = ld_name_from_file(de->d_name);
            if (!n)
                continue;
            int dup = !ld_name_ok(n);
            for (size_t k = 0; !dup && k < out->n; k++)
                dup = strcmp(out->v[k], n) == 0;
            if (!dup && dm_strv_push(out, n))
                rc = dm_err_nomem(err);
            free(n);
        }
        closedir(dh);
    }
    dm_strv_free(&dirs);
    return rc;
}
