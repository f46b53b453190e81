/* loader.h — finding and loading driver plugins with libltdl (SPEC section
 * 11). loader.c is the only file that includes <ltdl.h>. Internal.
 *
 * Search order: the folders of plugin_path (colon-separated: --plugin-dir,
 * then DBMIG_PLUGIN_PATH, joined by the caller), then the plugin folder
 * beside libdbmig itself: <the folder of libdbmig.so>/dbmig, found at run
 * time (dladdr), so an install to any prefix finds its own plugins, and the
 * build tree (same layout: build/lib/libdbmig.so, build/lib/dbmig/) finds
 * its own. No configure-time or build-tree path is compiled in. Files are always opened by full path, never by a bare name,
 * so the working folder is never searched by accident.
 *
 * It also owns the rules of the driver table (driver.h, ABI 2): the one list
 * of methods the loader checks (dm_driver_check), the one accessor through
 * which the core reaches an optional method (DM_DRV_OPT) or a string of the
 * driver's dialect SQL (DM_DRV_SQL), and the one way a driver error is
 * written into a message (dm_db_error_format).
 */
#ifndef DM_LOADER_H
#define DM_LOADER_H

#include "dbmig/driver.h"
#include "util.h"

typedef struct dm_plugin dm_plugin;

/* Loads driver `name`. Refusals (DBMIG_EUSAGE) name the file and, where it
 * applies, both versions: ABI major differs, table too small, name differs
 * from the file name, no entry point, file or folder writable by everyone.
 * Not found → DBMIG_EUSAGE listing the folders searched. */
int dm_plugin_load(const char *plugin_path, const char *name, dm_plugin **out, dm_err *err);
/* Loads the driver for a URL scheme (lower-case, when --driver is not
 * given): the plugin named after it if there is one on the search path,
 * else the one plugin that lists the scheme in its `schemes`. Several such
 * plugins, or none, is DBMIG_EUSAGE (listing them / suggesting the nearest
 * known name or scheme). */
int dm_plugin_load_scheme(const char *plugin_path, const char *scheme, dm_plugin **out,
                          dm_err *err);
const dbmig_driver *dm_plugin_driver(const dm_plugin *p);
const char *dm_plugin_file(const dm_plugin *p);
void dm_plugin_unload(dm_plugin *p);

/* Checks a driver table as the loader does after the entry point returned
 * it (ABI major, size for its minor, name, required methods, init/fini):
 * also for a table a test hands to the core directly (dm_use_driver). file
 * names it in the refusal (DBMIG_EUSAGE). */
int dm_driver_check(const char *file, const char *name, const dbmig_driver *d, dm_err *err);

/* An optional method of a checked table, or NULL when the table is too
 * small to have it (an older minor) or leaves it NULL. The only way the
 * core reaches an optional method:
 *     if (DM_DRV_OPT(drv, cancel)) DM_DRV_OPT(drv, cancel)(self, conn);
 * (a required method is called directly: the loader guarantees it). */
#define DM_DRV_OPT(drv, m)                                                                 \
    ((drv)->size >= offsetof(dbmig_driver, m) + sizeof((drv)->m) ? (drv)->m : NULL)

/* A string of the driver's dialect SQL (dbmig_dialect_sql), or NULL when
 * the driver gives none (no table, a table too small for the field, or
 * NULL): DM_DRV_SQL(drv, lease_now_ms). The caller decides what NULL means
 * (driver.h says it for each field). */
const char *dm_dialect_sql_at(const dbmig_driver *d, size_t off);
#define DM_DRV_SQL(drv, field) dm_dialect_sql_at((drv), offsetof(dbmig_dialect_sql, field))

/* Appends a driver error to out: "message [code]", then "\n  detail: ..."
 * and "\n  hint: ..." when set ("unknown error" for e NULL). -1 on no
 * memory. Every core message built from a driver error uses it. */
int dm_db_error_format(dm_buf *out, const dbmig_db_error *e);
/* Marks the failure just set in err from e as the database's, with e's
 * code, detail and hint (dm_err_db; e NULL: none). Call it after dm_err_set,
 * wherever a message came from dm_db_error_format. Returns err's code. */
int dm_db_error_note(dm_err *err, const dbmig_db_error *e);

/* Loads a plugin from an exact file path (used by tests and by listing). */
int dm_plugin_load_file(const char *file, const char *name, dm_plugin **out, dm_err *err);

/* Every dbmig_*.so on the search path, in search order (first of a name
 * wins; later duplicates are skipped). For each, cb gets the file, the
 * driver table (NULL when refused) and the refusal message (NULL when
 * loaded). The plugin is unloaded after cb returns. */
typedef void (*dm_plugin_each_fn)(void *payload, const char *file, const dbmig_driver *drv,
                                  const char *refusal);
int dm_plugin_foreach(const char *plugin_path, dm_plugin_each_fn cb, void *payload,
                      dm_err *err);

/* The names of the plugins on the search path (the <name> of every
 * dbmig_<name>.so file with a valid name, first of a name only), appended to
 * out, without loading any: a listing to check names against (SPEC section
 * 2: a marker's driver must be known). A folder that cannot be read holds
 * none. */
int dm_plugin_names(const char *plugin_path, dm_strv *out, dm_err *err);

/* The folders searched, in order, for messages: appended to out separated by ", ". */
int dm_plugin_search_dirs(const char *plugin_path, dm_buf *out);

#endif
