#ifndef QUANTSCOPE_CNCURSES_SHIM_H
#define QUANTSCOPE_CNCURSES_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>
#include <wchar.h>
#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Macros and globals Swift cannot import directly. */
static inline int qs_color_pair(int n) { return COLOR_PAIR(n); }
static inline int qs_lines(void) { return LINES; }
static inline int qs_cols(void) { return COLS; }
static inline int qs_colors(void) { return COLORS; }
static inline WINDOW *qs_stdscr(void) { return stdscr; }
static inline int qs_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int qs_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int qs_mvaddwstr(int y, int x, const wchar_t *s) { return mvaddwstr(y, x, s); }
static inline int qs_attron(int a) { return attron(a); }
static inline int qs_attroff(int a) { return attroff(a); }
static inline int qs_attrset(int a) { return attrset(a); }
static inline int qs_a_bold(void) { return A_BOLD; }
static inline int qs_a_reverse(void) { return A_REVERSE; }
static inline int qs_a_dim(void) { return A_DIM; }
static inline int qs_a_underline(void) { return A_UNDERLINE; }
static inline int qs_key_resize(void) { return KEY_RESIZE; }
static inline void qs_timeout(int ms) { timeout(ms); }
/* newterm on the process's stdout/stdin: unlike initscr it returns NULL instead of exiting when TERM is unusable. */
static inline SCREEN *qs_newterm(void) { return newterm(NULL, stdout, stdin); }
static inline int qs_get_wch(unsigned int *out) {
    wint_t c = 0;
    int r = get_wch(&c);
    *out = (unsigned int)c;
    return r;
}
static inline int qs_key_code_yes(void) { return KEY_CODE_YES; }
static inline int qs_err(void) { return ERR; }

/* Function keys as small numbers Swift can switch on:
   1 up, 2 down, 3 left, 4 right, 5 home, 6 end, 7 page up, 8 page down, 9 back-tab,
   10 backspace, 11 delete, 12 enter, 13 resize; 0 for anything else. */
static inline int qs_translate_key(int code) {
    switch (code) {
    case KEY_UP: return 1;
    case KEY_DOWN: return 2;
    case KEY_LEFT: return 3;
    case KEY_RIGHT: return 4;
    case KEY_HOME: return 5;
    case KEY_END: return 6;
    case KEY_PPAGE: return 7;
    case KEY_NPAGE: return 8;
    case KEY_BTAB: return 9;
    case KEY_BACKSPACE: return 10;
    case KEY_DC: return 11;
    case KEY_ENTER: return 12;
    case KEY_RESIZE: return 13;
    default: return 0;
    }
}

/* Whether the locale chosen by setlocale(LC_ALL, "") encodes text as UTF-8. */
static inline int qs_locale_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}

/* Restoring the terminal on every way out: signal handlers and an atexit hook call endwin once. */
static volatile sig_atomic_t qs_curses_active = 0;

static void qs_restore_terminal(void) {
    if (qs_curses_active) {
        qs_curses_active = 0;
        endwin();
    }
}

static void qs_fatal_signal(int sig) {
    qs_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

static inline void qs_set_curses_active(int active) { qs_curses_active = active; }

/* Installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT and the crash signals (Swift traps raise SIGILL or
   SIGTRAP), each restoring the terminal then dying of the same signal; and an atexit hook. */
static inline void qs_install_restore_handlers(void) {
    static int installed = 0;
    if (installed) return;
    installed = 1;
    int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = qs_fatal_signal;
        sigemptyset(&action.sa_mask);
        sigaction(signals[i], &action, NULL);
    }
    atexit(qs_restore_terminal);
}
#endif
