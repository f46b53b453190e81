/* trust.h — may a folder named by a config file hold code dbmig loads?
 *
 * A dbmig.conf travels with a repository; its `plugin-dir` would make
 * `dbmig status` in a fresh clone run the repository's plugin. As git does
 * with safe.directory, a plugin folder named by a config file (not by the
 * command line, DBMIG_PLUGIN_DIR or DBMIG_PLUGIN_PATH, which the user typed)
 * is used only when it, and every folder above it, is owned by the invoking
 * user or root and not writable by group or others (a parent with the
 * sticky bit, like /tmp, may be writable by others). */
#ifndef DBMIG_CLI_TRUST_H
#define DBMIG_CLI_TRUST_H

#include <stddef.h>

/* dirs: the value (folders separated by ':'); conf: the config file that
 * named it. Returns 0 when every folder is safe (a folder that does not
 * exist is fine: nothing is loaded from it), else -1 with err holding the
 * refusal: the config file, the folder, why and the fix. */
int cli_plugin_dir_trusted(const char *dirs, const char *conf, char *err, size_t cap);

#endif
