/* junit.c — `dbmig test --junit FILE`: the report as JUnit XML, the format
 * every CI server reads (one testsuite, one testcase per revision and
 * check, named after the revision; a failure carries its message, a skip
 * says why).
 *
 * Why it is built this way: the report is rendered in memory and written
 * with the CLI's one atomic writer (cli_write_atomic: a temporary file
 * beside it, renamed over it), so a CI job never reads half a report and a
 * failed write leaves an earlier one untouched; the folder is checked
 * before the run (cli_junit_check), so a typo in the path does not cost a
 * whole test run.
 * Text is escaped for XML 1.0, which cannot carry most control characters
 * at all: those become '?'. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "junit.h"

static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default: fputc(c < 0x20 || c == 0x7f ? '?' : c, f); break;
        }
    }
}

/* The first line of a message, for the failure's `message` attribute. */
static void xml_first_line(FILE *f, const char *s)
{
    const char *nl = strchr(s, '\n');
    char *one = nl ? strndup(s, (size_t)(nl - s)) : NULL;
    xml_text(f, one ? one : s);
    free(one);
}

static void write_case(FILE *f, const dbmig_test_case *c)
{
    fputs("    <testcase classname=\"", f);
    xml_text(f, c->revision);
    fputs("\" name=\"", f);
    xml_text(f, c->revision);
    fputc(' ', f);
    xml_text(f, c->check);
    fputc('"', f);
    if (c->file && *c->file) {
        fputs(" file=\"", f);
        xml_text(f, c->file);
        fputc('"', f);
    }
    fprintf(f, " time=\"%.3f\"", c->duration_ms / 1000.0);
    if (c->status > 0) {
        fputs("/>\n", f);
        return;
    }
    fputs(">\n      <", f);
    fputs(c->status == 0 ? "failure" : "skipped", f);
    fputs(" message=\"", f);
    xml_first_line(f, c->message);
    if (c->status == 0) {
        fputs("\" type=\"", f);
        xml_text(f, c->check);
        fputs("\">", f);
        xml_text(f, c->message);
        fputs("</failure>\n", f);
    } else {
        fputs("\"/>\n", f);
    }
    fputs("    </testcase>\n", f);
}

/* A lint error finding: a failed test case of the "dbmig lint" suite,
 * named after the revision and the rule, at file:line. */
static void write_lint_case(FILE *f, const dbmig_lint_finding *x)
{
    const char *rev = x->revision ? x->revision : "(folder)";
    fputs("    <testcase classname=\"", f);
    xml_text(f, rev);
    fputs("\" name=\"", f);
    xml_text(f, rev);
    fputs(" lint ", f);
    xml_text(f, x->rule);
    fputs("\"", f);
    if (x->file && *x->file) {
        fputs(" file=\"", f);
        xml_text(f, x->file);
        fprintf(f, "\" line=\"%d\"", x->line);
    }
    fputs(" time=\"0\">\n      <failure message=\"", f);
    xml_first_line(f, x->message);
    fputs("\" type=\"", f);
    xml_text(f, x->rule);
    fputs("\">", f);
    fprintf(f, "%s:%d: ", x->file ? x->file : "", x->line);
    xml_text(f, x->message);
    if (x->fix && *x->fix) {
        fputs("\nfix: ", f);
        xml_text(f, x->fix);
    }
    fputs("</failure>\n    </testcase>\n", f);
}

static void write_lint_suite(FILE *f, const dbmig_lint_report *l)
{
    fprintf(f,
            "  <testsuite name=\"dbmig lint\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"0\" time=\"0\">\n",
            l->errors, l->errors);
    fprintf(f,
            "    <properties>\n      <property name=\"revisions\" value=\"%zu\"/>\n"
            "      <property name=\"warnings\" value=\"%zu\"/>\n"
            "      <property name=\"infos\" value=\"%zu\"/>\n    </properties>\n",
            l->revisions, l->warnings, l->infos);
    for (size_t i = 0; i < l->n; i++)
        if (l->findings[i].severity == DBMIG_LINT_ERROR)
            write_lint_case(f, &l->findings[i]);
    fputs("  </testsuite>\n", f);
}

static void write_report(FILE *f, const dbmig_test_report *r, const dbmig_lint_report *l)
{
    size_t le = l ? l->errors : 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    fprintf(f,
            "<testsuites name=\"dbmig test\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" time=\"%.3f\">\n",
            r->n + le, r->failed + le, r->skipped, r->duration_ms / 1000.0);
    fprintf(f,
            "  <testsuite name=\"dbmig test\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
            "skipped=\"%zu\" time=\"%.3f\">\n",
            r->n, r->failed, r->skipped, r->duration_ms / 1000.0);
    fputs("    <properties>\n      <property name=\"revisions\" value=\"", f);
    fprintf(f, "%zu\"/>\n      <property name=\"database\" value=\"", r->revisions);
    xml_text(f, r->where);
    fputs("\"/>\n    </properties>\n", f);
    for (size_t i = 0; i < r->n; i++)
        write_case(f, &r->cases[i]);
    fputs("  </testsuite>\n", f);
    if (l)
        write_lint_suite(f, l);
    fputs("</testsuites>\n", f);
}

int cli_junit_check(const char *path, char *err, size_t cap)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    int bad = !dir || access(dir, W_OK | X_OK) != 0;
    if (bad)
        snprintf(err, cap, "cannot write the JUnit report %s: its folder %s: %s (is it there "
                 "and writable?)", path, dir ? dir : "", dir ? strerror(errno) : "out of memory");
    free(dir);
    return bad ? -1 : 0;
}

int cli_junit_write(const char *path, const dbmig_test_report *r, const dbmig_lint_report *lint,
                    char *err, size_t cap)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        snprintf(err, cap, "out of memory");
        return -1;
    }
    write_report(f, r, lint);
    int bad = fclose(f) != 0 || !text;
    if (bad)
        snprintf(err, cap, "out of memory");
    char why[4200];
    if (!bad && cli_write_atomic(path, text, why, sizeof why) != 0) {
        snprintf(err, cap, "the JUnit report: %s", why);
        bad = 1;
    }
    free(text);
    return bad ? -1 : 0;
}
