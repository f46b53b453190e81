/* cmd_drivers.c — the driver plugins as the CLI sees them: `dbmig drivers`
 * lists what the library found, and cli_check_driver refuses a --driver
 * that no plugin provides before any command runs (with the nearest name). */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --driver NAME that no plugin file has: refuse before anything runs, with
 * the nearest name (a plugin that exists but is refused is left to the
 * loader, whose message says why). */
int cli_check_driver(cli *c)
{
    const char *d = cli_config_get(&c->cfg, "driver");
    if (!d || strcmp(c->command, "drivers") == 0)
        return EXIT_OK;
    dbmig_driver_info *v;
    size_t n;
    if (dbmig_drivers_list(c->h, &v, &n) != DBMIG_OK)
        return EXIT_OK; /* the command will say what is wrong */
    const char **names = calloc(n + 3, sizeof *names);
    int found = 0;
    size_t k = 0;
    if (names) {
        for (size_t i = 0; i < n; i++)
            if (v[i].name)
                names[k++] = v[i].name;
        names[k++] = "sqlite";
        names[k++] = "postgres";
        names[k++] = "mysql";
    }
    for (size_t i = 0; i < n && !found; i++)
        found = v[i].name && strcmp(v[i].name, d) == 0;
    int rc = EXIT_OK;
    if (!found && names) {
        const char *near = cli_suggest(d, names, k);
        char *found_list = NULL; /* ", a, b": one message, for stderr and the JSON */
        size_t len = 0;
        FILE *f = open_memstream(&found_list, &len);
        for (size_t i = 0; f && i < n; i++)
            fprintf(f, "%s %s", i ? "," : "", v[i].name ? v[i].name : v[i].file);
        if (f)
            fclose(f);
        rc = cli_errorf(c, EXIT_USAGE, "no driver '%s' (from %s%s%s%s); the drivers found:%s%s; "
                                       "see `dbmig drivers`, --plugin-dir, DBMIG_PLUGIN_PATH",
                        d, cli_config_source(&c->cfg, "driver"), near ? "; did you mean " : "",
                        near ? near : "", near ? "?" : "", found_list ? found_list : "",
                        n ? "" : " none");
        free(found_list);
    }
    free(names);
    dbmig_drivers_free(v, n);
    return rc;
}

int cmd_drivers(cli *c)
{
    int e = cli_need_args(c, 0, 0);
    if (e)
        return e;
    dbmig_driver_info *v;
    size_t n;
    int rc = dbmig_drivers_list(c->h, &v, &n);
    if (rc)
        return cli_fail(c, rc);
    if (c->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_object();
            char abi[32];
            snprintf(abi, sizeof abi, "%u.%u", v[i].abi_major, v[i].abi_minor);
            json_object_set_new(o, "name", json_string(v[i].name));
            json_object_set_new(o, "version", json_string(v[i].version));
            json_object_set_new(o, "description", json_string(v[i].description));
            json_object_set_new(o, "file", json_string(v[i].file));
            json_object_set_new(o, "abi", v[i].error ? json_null() : json_string(abi));
            json_t *caps = json_array();
            char *t = strdup(v[i].caps_text), *save = NULL;
            for (char *w = t ? strtok_r(t, " ", &save) : NULL; w; w = strtok_r(NULL, " ", &save))
                json_array_append_new(caps, json_string(w));
            free(t);
            json_object_set_new(o, "capabilities", caps);
            json_object_set_new(o, "error", v[i].error ? json_string(v[i].error) : json_null());
            json_array_append_new(a, o);
        }
        cli_json_print(c, a);
    } else if (n == 0) {
        printf("no driver plugins found\n");
    } else {
        for (size_t i = 0; i < n; i++) {
            if (v[i].error) {
                printf("%-10s REFUSED  %s\n           %s\n", v[i].name, v[i].file, v[i].error);
                continue;
            }
            printf("%-10s %-8s %s\n           ABI %u.%u, %s\n           capabilities: %s\n",
                   v[i].name, v[i].version, v[i].file, v[i].abi_major, v[i].abi_minor,
                   v[i].description, v[i].caps_text);
        }
    }
    dbmig_drivers_free(v, n);
    return EXIT_OK;
}
