#ifndef QUANTSCOPE_CNCURSES_SHIM_H
#define QUANTSCOPE_CNCURSES_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>
#include <wchar.h>

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
#endif
