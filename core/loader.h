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
