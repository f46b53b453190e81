/* complete.c — shell completion: `dbmig completion bash|zsh|fish` prints a
 * thin script, and the script asks the program itself, `dbmig __complete
 * WORD... CURRENT` (hidden), for the candidates, one a line, each with a
 * tab and a description when there is one. As gh and kubectl do, so the
 * scripts never hold a copy of a table: the commands and options come from
 * the parser's tables (args.c), the option values and the kind of each
 * argument from the help texts (help.c, read by helptext.c: "--format
 * text|json", "stamp TARGET", "merge [ID...]"), the drivers from the plugin
 * search, and revision ids and branch labels from the migrations folder the
 * command would read (--dir, --config, --env, DBMIG_*, dbmig.conf).
 *
 * A first line ":files" or ":dirs" asks the script for file (folder) names.
 * Nothing here may print into the user's shell: standard error goes to
 * /dev/null, and a folder or config file that does not load completes
 * nothing. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "config.h"
#include "helptext.h"
#include "dbmig/dbmig.h"

/* What the words before the current one say. */
typedef struct cstate {
    const char *cmd;     /* the command; after fleet, the command it runs */
    int npos;            /* the command's arguments so far */
    int ended;           /* after `--` */
    const char *pending; /* the option whose value the current word is */
    cli_config cfg;      /* the global options given, for the folder */
    ht_doc usage, doc;   /* the main usage; the command's help */
    int has_doc;
    const char *cur;     /* the word being completed */
} cstate;

static void emit(const cstate *s, const char *pre, const char *cand, const char *desc)
{
    char word[512];
    snprintf(word, sizeof word, "%s%s", pre, cand);
    if (strncmp(word, s->cur, strlen(s->cur)) != 0)
        return; /* only the words that continue what is typed */
    fputs(word, stdout);
    if (desc && *desc) {
        putchar('\t');
        for (const char *p = desc; *p; p++) /* one line, no tab */
            putchar(*p == '\t' || *p == '\n' ? ' ' : *p);
    }
    putchar('\n');
}

/* An argument, not an option (as args.c reads it): "-", "-1", "head". */
static int is_argument(const char *a)
{
    return a[0] != '-' || a[1] == '\0' || isdigit((unsigned char)a[1]);
}

/* 1 if cmd has option name; *value: it takes one. */
static int command_option(const char *cmd, const char *name, size_t n, int *value)
{
    const char *o;
    for (size_t i = 0; cmd && cli_copt_at(cmd, i, &o, value); i++)
        if (strlen(o) == n && strncmp(o, name, n) == 0)
            return 1;
    return 0;
}

/* 1 if name (without "--", n bytes) is a global option; *value as above. */
static int global_option(const char *name, size_t n, const char **full, int *value)
{
    char shrt;
    for (size_t i = 0; cli_gopt_at(i, full, &shrt, value); i++)
        if (strlen(*full) == n && strncmp(*full, name, n) == 0)
            return 1;
    return 0;
}

static void set_command(cstate *s, const char *cmd)
{
    if (s->has_doc)
        ht_free(&s->doc);
    s->cmd = cmd;
    s->npos = 0;
    char *text = ht_command_text(cmd);
    s->has_doc = text && ht_parse(text, &s->doc) == 0;
    free(text);
}

/* One option word w (words[*i]); a value in the next word is skipped, or,
 * when that is the current word, remembered as pending. */
static void walk_option(cstate *s, char **words, int n, int *i)
{
    const char *w = words[*i], *g;
    size_t len = strcspn(w, "=");
    int value = 0;
    if (command_option(s->cmd, w, len, &value)) {
        /* a command option's value: skipped */
    } else if (w[1] == '-' && global_option(w + 2, len - 2, &g, &value)) {
        if (value && w[len] == '=')
            cli_config_set(&s->cfg, g, w + len + 1);
        else if (value && *i + 1 < n - 1)
            cli_config_set(&s->cfg, g, words[*i + 1]);
    } else {
        return; /* short flags, unknown options: nothing to skip */
    }
    if (value && !w[len]) {
        if (*i + 1 == n - 1)
            s->pending = w;
        (*i)++;
    }
}

static void walk(cstate *s, char **words, int n)
{
    for (int i = 0; i < n - 1; i++) {
        const char *w = words[i];
        if (!s->ended && strcmp(w, "--") == 0)
            s->ended = 1;
        else if (!s->ended && !is_argument(w))
            walk_option(s, words, n, &i);
        else if ((!s->cmd || !strcmp(s->cmd, "fleet")) && cli_command_known(w))
            set_command(s, w); /* the command; after fleet, the one it runs */
        else if (s->cmd)
            s->npos++;
    }
}

/* ---- candidates ------------------------------------------------------------- */

/* The description the command's help (or the usage) gives option word. */
static const char *describe(const cstate *s, const char *word)
{
    const ht_item *it = s->has_doc ? ht_find_option(&s->doc, word) : NULL;
    if (!it)
        it = ht_find_option(&s->usage, word);
    return it ? it->desc : NULL;
}

static void commands(const cstate *s)
{
    const char *c;
    for (size_t i = 0; (c = cli_command_at(i)); i++) {
        if (c[0] == '_')
            continue;
        const ht_item *it = NULL; /* the main usage's line "  name ARGS  what" */
        for (size_t b = 0; !it && b < s->usage.nb; b++)
            for (size_t k = 0; k < s->usage.b[b].n; k++) {
                const char *sp = s->usage.b[b].items[k].spec;
                if (!strncmp(sp, c, strlen(c)) && (!sp[strlen(c)] || sp[strlen(c)] == ' '))
                    it = &s->usage.b[b].items[k];
            }
        emit(s, "", c, it ? (*it->first ? it->first : it->desc) : NULL);
    }
}

static void options(const cstate *s)
{
    const char *name;
    int value;
    char shrt, flag[64];
    for (size_t i = 0; s->cmd && cli_copt_at(s->cmd, i, &name, &value); i++)
        if (name[1] == '-')
            emit(s, "", name, describe(s, name));
    for (size_t i = 0; cli_gopt_at(i, &name, &shrt, &value); i++) {
        snprintf(flag, sizeof flag, "--%s", name);
        /* a command's own option of the same name (lint --format) is the one
         * listed above: once is enough */
        const char *own = NULL;
        int ov;
        for (size_t k = 0; s->cmd && !own && cli_copt_at(s->cmd, k, &own, &ov); k++)
            if (strcmp(own, flag) != 0)
                own = NULL;
        if (!own)
            emit(s, "", flag, describe(s, flag));
    }
}

/* The words of an enumeration ("text|json|dot"): lower-case words joined
 * by '|'; 0 when value is no enumeration (FILE|-, session alone is one). */
static int enumeration(const cstate *s, const char *pre, const char *value)
{
    for (const char *p = value; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '|' || *p == '-'))
            return 0;
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, "|");
        char w[64];
        snprintf(w, sizeof w, "%.*s", (int)n, p);
        emit(s, pre, w, NULL);
        p += n + (p[n] == '|');
    }
    return 1;
}

/* The settings below the command line, as main.c reads them: DBMIG_*,
 * then the config file. 0, or -1 (a broken file: complete nothing). */
static int load_settings(cstate *s)
{
    char err[1024];
    const char *file = cli_config_get(&s->cfg, "config");
    if (cli_config_load_env(&s->cfg, err, sizeof err) != 0 ||
        cli_config_load_file(&s->cfg, file ? file : "dbmig.conf", file != NULL,
                             cli_config_get(&s->cfg, "env"), err, sizeof err) != 0)
        return -1;
    return 0;
}

/* The migrations folder's revisions, as the command would read it. */
static dbmig_graph_list *load_graph(cstate *s, dbmig **h)
{
    if (load_settings(s) != 0)
        return NULL;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.dir = cli_config_get(&s->cfg, "dir");
    dbmig_graph_list *l = NULL;
    if (dbmig_open(h, &o) != DBMIG_OK || dbmig_history_get(*h, NULL, 0, &l) != DBMIG_OK)
        return NULL;
    return l;
}

/* kind: 'T' a target (also the keywords of the usage's "targets:" line),
 * 'R' a revision (also <label>@head), 'I' an id. */
static void revisions(cstate *s, const char *pre, int kind)
{
    dbmig *h = NULL;
    dbmig_graph_list *l = load_graph(s, &h); /* first: a folder that fails gives nothing */
    if (kind == 'T' && l)
        for (size_t b = 0; b < s->usage.nb; b++) {
            const char *p = s->usage.b[b].para;
            if (!p || strncmp(p, "targets: ", 9) != 0)
                continue;
            for (p += 9; *p;) { /* "head, heads, base, <id>, ...": the plain words */
                size_t n = strcspn(p, ", ");
                char w[32];
                snprintf(w, sizeof w, "%.*s", (int)n, p);
                int plain = n > 0 && n < sizeof w;
                for (size_t k = 0; k < n && plain; k++)
                    plain = islower((unsigned char)p[k]);
                if (plain)
                    emit(s, pre, w, NULL);
                p += n + strspn(p + n, ", ");
            }
        }
    for (size_t i = 0; l && i < l->n; i++) {
        emit(s, pre, l->revs[i].revision, l->revs[i].message);
        for (size_t k = 0; kind != 'I' && k < l->revs[i].nbranches; k++) {
            char w[256];
            snprintf(w, sizeof w, "%s@head", l->revs[i].branches[k]);
            emit(s, pre, w, "the head of the branch");
        }
    }
    dbmig_graph_list_free(l);
    dbmig_close(h);
}

static void drivers(cstate *s, const char *pre)
{
    if (load_settings(s) != 0)
        return;
    dbmig_options o = DBMIG_OPTIONS_INIT;
    o.plugin_path = cli_config_get(&s->cfg, "plugin-dir");
    const char *env_path = getenv("DBMIG_PLUGIN_PATH");
    char path[4096];
    if (env_path && *env_path) {
        snprintf(path, sizeof path, "%s%s%s", o.plugin_path ? o.plugin_path : "",
                 o.plugin_path ? ":" : "", env_path);
        o.plugin_path = path;
    }
    dbmig *h = NULL;
    dbmig_driver_info *v = NULL;
    size_t n = 0;
    if (dbmig_open(&h, &o) == DBMIG_OK && dbmig_drivers_list(h, &v, &n) == DBMIG_OK)
        for (size_t i = 0; i < n; i++)
            if (!v[i].error && (i == 0 || strcmp(v[i].name, v[i - 1].name) != 0))
                emit(s, pre, v[i].name, v[i].description);
    dbmig_drivers_free(v, n);
    dbmig_close(h);
}

/* A word whose form is the help texts' metavariable meta (TARGET, FILE,
 * text|json, ...); pre: what the word starts with before it ("--format="). */
static void by_meta(cstate *s, const char *pre, const char *meta)
{
    char m[64];
    snprintf(m, sizeof m, "%.*s", (int)strcspn(meta, "."), meta); /* ID... */
    if (strstr(m, "FILE"))
        puts(":files");
    else if (strstr(m, "DIR"))
        puts(":dirs");
    else if (!strcmp(m, "TARGET"))
        revisions(s, pre, 'T');
    else if (!strcmp(m, "REV"))
        revisions(s, pre, 'R');
    else if (!strcmp(m, "ID"))
        revisions(s, pre, 'I');
    else if (!strcmp(m, "A:B")) { /* a range: complete the side being typed */
        const char *typed = s->cur + strlen(pre), *colon = strchr(typed, ':');
        char p2[512];
        snprintf(p2, sizeof p2, "%s%.*s", pre, colon ? (int)(colon - typed + 1) : 0, typed);
        revisions(s, p2, 'T');
    } else if (!strcmp(m, "COMMAND"))
        commands(s);
    else
        enumeration(s, pre, m);
}

/* The value of option opt ("--format", "-r"). */
static void option_value(cstate *s, const char *opt, const char *pre)
{
    char value[64] = "";
    if (!(s->has_doc && ht_option_value(&s->doc, opt, value, sizeof value)))
        ht_option_value(&s->usage, opt, value, sizeof value);
    if (!strcmp(opt, "--driver") && !strchr(value, '|'))
        drivers(s, pre);
    else if (*value)
        by_meta(s, pre, value);
}

/* 1 if the option word t (tn bytes) of a synopsis takes a value. */
static int takes_value(const cstate *s, const char *t, size_t tn)
{
    int value = 0;
    const char *g;
    return (command_option(s->cmd, t, tn, &value) ||
            (tn > 2 && t[1] == '-' && global_option(t + 2, tn - 2, &g, &value))) &&
           value;
}

/* The command's argument number s->npos: the metavariable at that place in
 * its synopsis, after the command's name, leaving out the options and their
 * values; the last one repeats when it ends with "..." (merge [ID...]). */
static void argument(cstate *s)
{
    if (!s->has_doc || !s->doc.nsyn)
        return;
    char meta[8][64];
    int nmeta = 0, repeat = 0, after = 0;
    for (const char *w = s->doc.syn[0]; *(w += strspn(w, " ")) && nmeta < 8;) {
        size_t n = strcspn(w, " ");
        const char *t = w + strspn(w, "[");
        size_t tn = n - (size_t)(t - w);
        int dots = 0;
        while (tn && (t[tn - 1] == ']' || t[tn - 1] == '.'))
            dots |= t[--tn] == '.';
        w += n;
        if (!after) {
            after = tn == strlen(s->cmd) && !strncmp(t, s->cmd, tn);
        } else if (*t == '-') {
            if (takes_value(s, t, tn)) { /* its value is no argument */
                w += strspn(w, " ");
                w += strcspn(w, " ");
            }
        } else if (tn && !(tn == 1 && *t == '|')) {
            snprintf(meta[nmeta++], sizeof meta[0], "%.*s", (int)tn, t);
            repeat = dots;
        }
    }
    if (s->npos < nmeta)
        by_meta(s, "", meta[s->npos]);
    else if (nmeta && repeat)
        by_meta(s, "", meta[nmeta - 1]);
}

int cli_complete_main(int argc, char **argv)
{
    if (!freopen("/dev/null", "w", stderr))
        return EXIT_FAIL;
    cstate s;
    memset(&s, 0, sizeof s);
    char **words = argv + 2;
    int n = argc - 2;
    if (n > 0 && strcmp(words[0], "--") == 0)
        words++, n--; /* dbmig __complete -- WORDS... */
    char *empty[] = {"", NULL};
    if (n == 0)
        words = empty, n = 1;
    s.cur = words[n - 1];
    if (ht_parse(cli_usage_main, &s.usage) != 0)
        return EXIT_FAIL;
    walk(&s, words, n);
    const char *eq = strchr(s.cur, '=');
    if (s.pending) {
        option_value(&s, s.pending, "");
    } else if (!s.ended && s.cur[0] == '-' && s.cur[1] == '-' && eq) {
        char opt[64], pre[80];
        snprintf(opt, sizeof opt, "%.*s", (int)(eq - s.cur), s.cur);
        snprintf(pre, sizeof pre, "%s=", opt);
        option_value(&s, opt, pre);
    } else if (!s.ended && s.cur[0] == '-' && !isdigit((unsigned char)s.cur[1])) {
        options(&s);
    } else if (!s.cmd) {
        commands(&s);
    } else {
        argument(&s);
    }
    if (s.has_doc)
        ht_free(&s.doc);
    ht_free(&s.usage);
    cli_config_free(&s.cfg);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* ---- the scripts -------------------------------------------------------------- */

/* Thin: each asks `dbmig __complete` (the very dbmig typed, so a build
 * tree's binary completes its own tables) and shows what it prints. */
static const char bash_script[] =
    "# bash completion for dbmig (generated by `dbmig completion bash`)\n"
    "_dbmig() {\n"
    "    local i w cur pre= mode= line words=() cands=()\n"
    "    # COMP_WORDS splits at = and :, which dbmig's words hold (--format=json,\n"
    "    # A:B, sqlite:app.db): join them again\n"
    "    for ((i = 1; i <= COMP_CWORD; i++)); do\n"
    "        w=${COMP_WORDS[i]}\n"
    "        if ((${#words[@]})) && [[ $w == [=:]* || ${words[-1]} == *[=:] ]]; then\n"
    "            words[-1]+=$w\n"
    "        else\n"
    "            words+=(\"$w\")\n"
    "        fi\n"
    "    done\n"
    "    ((${#words[@]})) || words=('')\n"
    "    cur=${words[-1]}\n"
    "    # readline replaces only the part after the last = or : of COMP_WORDBREAKS\n"
    "    for ((i = ${#cur} - 1; i >= 0; i--)); do\n"
    "        if [[ ${cur:i:1} == [=:] && $COMP_WORDBREAKS == *\"${cur:i:1}\"* ]]; then\n"
    "            pre=${cur:0:i+1}\n"
    "            break\n"
    "        fi\n"
    "    done\n"
    "    while IFS= read -r line; do\n"
    "        case $line in\n"
    "        :files | :dirs) mode=${line#:} ;;\n"
    "        ?*) cands+=(\"${line%%$'\\t'*}\") ;;\n"
    "        esac\n"
    "    done < <(command \"${COMP_WORDS[0]}\" __complete -- \"${words[@]}\" 2>/dev/null)\n"
    "    COMPREPLY=()\n"
    "    if [[ $mode == files || $mode == dirs ]]; then\n"
    "        compopt -o filenames 2>/dev/null\n"
    "        local flag=-f\n"
    "        [[ $mode == dirs ]] && flag=-d\n"
    "        mapfile -t COMPREPLY < <(compgen \"$flag\" -- \"${cur#\"$pre\"}\")\n"
    "        return 0\n"
    "    fi\n"
    "    for w in \"${cands[@]}\"; do\n"
    "        COMPREPLY+=(\"${w#\"$pre\"}\")\n"
    "    done\n"
    "    return 0\n"
    "}\n"
    "complete -F _dbmig dbmig\n";

static const char zsh_script[] =
    "#compdef dbmig\n"
    "# zsh completion for dbmig (generated by `dbmig completion zsh`)\n"
    "_dbmig() {\n"
    "    local line mode=\n"
    "    local -a cands descs\n"
    "    for line in \"${(@f)$(command ${words[1]} __complete -- \"${(@)words[2,CURRENT]}\" "
    "2>/dev/null)}\"; do\n"
    "        case $line in\n"
    "        :files | :dirs) mode=${line#:} ;;\n"
    "        ?*)\n"
    "            cands+=(\"${line%%$'\\t'*}\")\n"
    "            if [[ $line == *$'\\t'* ]]; then\n"
    "                descs+=(\"${line%%$'\\t'*}  -- ${line#*$'\\t'}\")\n"
    "            else\n"
    "                descs+=(\"$line\")\n"
    "            fi ;;\n"
    "        esac\n"
    "    done\n"
    "    if [[ -n $mode ]]; then\n"
    "        compset -P '*='\n"
    "        if [[ $mode == dirs ]]; then _files -/; else _files; fi\n"
    "        return\n"
    "    fi\n"
    "    (( $#cands )) && compadd -l -Q -d descs -a cands\n"
    "}\n"
    "if [[ \"${funcstack[1]}\" == _dbmig ]]; then\n"
    "    _dbmig \"$@\"\n"
    "else\n"
    "    compdef _dbmig dbmig\n"
    "fi\n";

static const char fish_script[] =
    "# fish completion for dbmig (generated by `dbmig completion fish`)\n"
    "function __dbmig_complete\n"
    "    set -l words (commandline -opc)\n"
    "    set -l cur (commandline -ct)\n"
    "    set -l mode\n"
    "    for line in (command $words[1] __complete -- $words[2..-1] \"$cur\" 2>/dev/null)\n"
    "        switch $line\n"
    "            case :files :dirs\n"
    "                set mode (string sub -s 2 -- $line)\n"
    "            case '*'\n"
    "                echo $line\n"
    "        end\n"
    "    end\n"
    "    if test -n \"$mode\"\n"
    "        set -l pre (string match -r -- '^-[^=]*=' $cur)\n"
    "        set -l rest (string replace -r -- '^-[^=]*=' '' $cur)\n"
    "        if test $mode = dirs\n"
    "            printf '%s\\n' \"$pre\"(__fish_complete_directories \"$rest\" | string replace -r "
    "'\\t.*' '')\n"
    "        else\n"
    "            printf '%s\\n' \"$pre\"(__fish_complete_path \"$rest\" | string replace -r '\\t.*' '')\n"
    "        end\n"
    "    end\n"
    "end\n"
    "complete -c dbmig -f -a '(__dbmig_complete)'\n";

int cmd_completion(cli *c)
{
    static const struct {
        const char *shell, *script;
    } scripts[] = {{"bash", bash_script}, {"zsh", zsh_script}, {"fish", fish_script}};
    if (c->nargs != 1 || c->args[0][0] == '-') {
        cli_errorf(c, EXIT_USAGE, "completion takes the shell: bash, zsh or fish");
        fputs(cli_help_for("completion"), stderr);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        if (strcmp(c->args[0], scripts[i].shell) == 0) {
            fputs(scripts[i].script, stdout);
            return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
        }
    const char *names[] = {"bash", "zsh", "fish"};
    const char *near = cli_suggest(c->args[0], names, 3);
    return cli_errorf(c, EXIT_USAGE, "completion: unknown shell '%s'%s%s%s: bash, zsh or fish",
                      c->args[0], near ? " (did you mean " : "", near ? near : "",
                      near ? "?)" : "");
}
