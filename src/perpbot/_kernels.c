/* The backtest loop's bar-level work in C: `perpbot.kernels` holds the Python twins and says what each does.
 *
 * Compiled with the core (`make core`). Compiled Python reads a float buffer one boxed float at a time, about a
 * hundred instructions a bar, and numpy costs thousands a call on the short stretches between decisions; here a bar
 * costs a few. The arithmetic is the Python twins' IEEE operations in the same order (built with
 * -ffp-contract=off, so no multiply-add is fused), so both give the same bars and the same floats (tested).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdint.h>

/* A view of a 1-D buffer of 8-byte items of `format` ("d": float64, "q": int64), asked for with `flags`
 * (contiguous to read, writable to write); `expected` says what was wanted when it is something else. */
static int
buffer_view(PyObject *obj, Py_buffer *view, int flags, const char *format, const char *what, const char *expected)
{
    if (PyObject_GetBuffer(obj, view, flags | PyBUF_FORMAT) < 0) {
        return -1;
    }
    if (view->itemsize != 8 || view->ndim != 1 || view->format == NULL || strcmp(view->format, format) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a %s, was format %s of %zd-byte items",
                     what, expected, view->format ? view->format : "?", view->itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* A read-only view of a 1-D float64 buffer (a memoryview of a numpy array). */
static int
float_view(PyObject *obj, Py_buffer *view, const char *what)
{
    return buffer_view(obj, view, PyBUF_C_CONTIGUOUS, "d", what, "1-D float64 buffer");
}

static int
check_range(Py_ssize_t first, Py_ssize_t last, Py_ssize_t length)
{
    if (first < 0 || last >= length) {
        PyErr_Format(PyExc_IndexError, "bars [%zd, %zd] outside a series of %zd bars", first, last, length);
        return -1;
    }
    return 0;
}

/* first_hit(high, low, first, last, rise_ge, rise_gt, fall_le, fall_lt) -> int | None */
static PyObject *
first_hit(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 8) {
        PyErr_Format(PyExc_TypeError, "first_hit takes 8 arguments, got %zd", nargs);
        return NULL;
    }
    Py_ssize_t first = PyLong_AsSsize_t(args[2]);
    Py_ssize_t last = PyLong_AsSsize_t(args[3]);
    double rise_ge = PyFloat_AsDouble(args[4]);
    double rise_gt = PyFloat_AsDouble(args[5]);
    double fall_le = PyFloat_AsDouble(args[6]);
    double fall_lt = PyFloat_AsDouble(args[7]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    int use_ge = rise_ge != INFINITY, use_gt = rise_gt != INFINITY;
    int use_le = fall_le != -INFINITY, use_lt = fall_lt != -INFINITY;
    Py_buffer high, low;
    if (float_view(args[0], &high, "high") < 0) {
        return NULL;
    }
    if (float_view(args[1], &low, "low") < 0) {
        PyBuffer_Release(&high);
        return NULL;
    }
    Py_ssize_t length = high.len / 8 < low.len / 8 ? high.len / 8 : low.len / 8;
    Py_ssize_t found = -1;
    if (first <= last && check_range(first, last, length) == 0) {
        const double *h = (const double *)high.buf, *l = (const double *)low.buf;
        for (Py_ssize_t j = first; j <= last; j++) {
            if ((use_ge && h[j] >= rise_ge) || (use_gt && h[j] > rise_gt)
                    || (use_le && l[j] <= fall_le) || (use_lt && l[j] < fall_lt)) {
                found = j;
                break;
            }
        }
    }
    PyBuffer_Release(&high);
    PyBuffer_Release(&low);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (found < 0) {
        Py_RETURN_NONE;
    }
    return PyLong_FromSsize_t(found);
}

#define MAX_POSITIONS 64

/* equity_scan(closes, qtys, costs, balance, first, last, peak, keep, daily) -> (breach, top, top_bar, end_value) */
static PyObject *
equity_scan(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_Format(PyExc_TypeError, "equity_scan takes 9 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *closes = args[0], *qtys = args[1], *costs = args[2];
    if (!PyList_Check(closes) || !PyList_Check(qtys) || !PyList_Check(costs)) {
        PyErr_SetString(PyExc_TypeError, "closes, qtys and costs must be lists");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(closes);
    if (PyList_GET_SIZE(qtys) != count || PyList_GET_SIZE(costs) != count || count > MAX_POSITIONS) {
        PyErr_Format(PyExc_ValueError, "closes, qtys and costs must be lists of the same length (at most %d), "
                     "were %zd, %zd and %zd", MAX_POSITIONS, count, PyList_GET_SIZE(qtys), PyList_GET_SIZE(costs));
        return NULL;
    }
    double balance = PyFloat_AsDouble(args[3]);
    Py_ssize_t first = PyLong_AsSsize_t(args[4]);
    Py_ssize_t last = PyLong_AsSsize_t(args[5]);
    double peak = PyFloat_AsDouble(args[6]);
    double keep = PyFloat_AsDouble(args[7]);
    double daily = PyFloat_AsDouble(args[8]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer views[MAX_POSITIONS];
    const double *series[MAX_POSITIONS];
    double qty[MAX_POSITIONS], cost[MAX_POSITIONS];
    Py_ssize_t held = 0, length = PY_SSIZE_T_MAX;
    PyObject *result = NULL;
    for (; held < count; held++) {
        qty[held] = PyFloat_AsDouble(PyList_GET_ITEM(qtys, held));
        cost[held] = PyFloat_AsDouble(PyList_GET_ITEM(costs, held));
        if (PyErr_Occurred() || float_view(PyList_GET_ITEM(closes, held), &views[held], "closes") < 0) {
            goto done;
        }
        series[held] = (const double *)views[held].buf;
        if (views[held].len / 8 < length) {
            length = views[held].len / 8;
        }
    }
    if (first > last) {
        PyErr_Format(PyExc_ValueError, "an empty stretch [%zd, %zd]", first, last);
        goto done;
    }
    if (count && check_range(first, last, length) < 0) {
        goto done;
    }
    /* Python's max(a, b) keeps a unless b is greater: the same choices here. */
    double running = peak, top = -INFINITY, value = balance;
    Py_ssize_t top_bar = first, breach = -1, j;
    for (j = first; j <= last; j++) {
        value = balance;
        for (Py_ssize_t p = 0; p < count; p++) {
            value = value + (qty[p] * series[p][j] - cost[p]);
        }
        if (value > running) {
            running = value;
        }
        if (value > top) {
            top = value;
            top_bar = j;
        }
        double floor = running * keep;
        if (daily > floor) {
            floor = daily;
        }
        if (value < floor) {
            breach = j;
            break;
        }
    }
    result = PyTuple_New(4);
    if (result != NULL) {
        PyObject *items[4] = {PyLong_FromSsize_t(breach), PyFloat_FromDouble(top), PyLong_FromSsize_t(top_bar),
                              PyFloat_FromDouble(value)};
        for (int item = 0; item < 4; item++) {
            if (items[item] == NULL) {
                Py_CLEAR(result);
            }
        }
        for (int item = 0; item < 4; item++) {
            if (result != NULL) {
                PyTuple_SET_ITEM(result, item, items[item]);
            } else {
                Py_XDECREF(items[item]);
            }
        }
    }
done:
    for (Py_ssize_t p = 0; p < held; p++) {
        PyBuffer_Release(&views[p]);
    }
    return result;
}

/* write_row(bars, balances, qty, signed_cost, row, bar, balance, qtys, costs) -> None */
static PyObject *
write_row(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 9) {
        PyErr_Format(PyExc_TypeError, "write_row takes 9 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *qtys = args[7], *costs = args[8];
    if (!PyList_Check(qtys) || !PyList_Check(costs) || PyList_GET_SIZE(qtys) != PyList_GET_SIZE(costs)) {
        PyErr_SetString(PyExc_TypeError, "qtys and costs must be lists of the same length");
        return NULL;
    }
    Py_ssize_t width = PyList_GET_SIZE(qtys);
    Py_ssize_t row = PyLong_AsSsize_t(args[4]);
    long long bar = PyLong_AsLongLong(args[5]);
    double balance = PyFloat_AsDouble(args[6]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer views[4];
    const char *formats[4] = {"q", "d", "d", "d"};
    const char *names[4] = {"bars", "balances", "qty", "signed_cost"};
    int held = 0;
    PyObject *result = NULL;
    for (; held < 4; held++) {
        const char *expected = held ? "writable 1-D buffer of format d" : "writable 1-D buffer of format q";
        if (buffer_view(args[held], &views[held], PyBUF_WRITABLE, formats[held], names[held], expected) < 0) {
            goto done;
        }
    }
    if (row < 0 || row >= views[0].len / 8 || row >= views[1].len / 8 || (row + 1) * width > views[2].len / 8
            || (row + 1) * width > views[3].len / 8) {
        PyErr_Format(PyExc_IndexError, "row %zd of width %zd is outside the track's arrays", row, width);
        goto done;
    }
    double *qty = (double *)views[2].buf + row * width, *cost = (double *)views[3].buf + row * width;
    for (Py_ssize_t j = 0; j < width; j++) {
        qty[j] = PyFloat_AsDouble(PyList_GET_ITEM(qtys, j));
        cost[j] = PyFloat_AsDouble(PyList_GET_ITEM(costs, j));
    }
    if (PyErr_Occurred()) {
        goto done;
    }
    ((long long *)views[0].buf)[row] = bar;
    ((double *)views[1].buf)[row] = balance;
    result = Py_None;
    Py_INCREF(result);
done:
    for (int view = 0; view < held; view++) {
        PyBuffer_Release(&views[view]);
    }
    return result;
}

/* decimal_float(value) -> float: `float(value)` for a Decimal, exactly (see `kernels.py_decimal_float`).
 *
 * float(Decimal) writes the decimal's text and parses it back; a balance's 18 or 20 digits take strtod's slow,
 * big-number path. A plain decimal text of at most 19 digits, at most 27 of them after the point, is the whole
 * count n over 10**k, both exact in x87's 64-bit significand: their quotient rounds once to 64 bits, then to
 * double. The second rounding gives the correctly rounded double unless the first landed on a midpoint between
 * two doubles; then, and for any other text (exponents, more digits), the text is parsed as float() parses it
 * (NaN and the infinities go to float() itself). Without a 64-bit long double the text is always parsed. */
#if LDBL_MANT_DIG >= 64
static long double pow10l_exact[28];
#endif

static PyObject *
decimal_float(PyObject *module, PyObject *value)
{
    PyObject *text = PyObject_Str(value);
    if (text == NULL) {
        return NULL;
    }
    Py_ssize_t length;
    const char *chars = PyUnicode_AsUTF8AndSize(text, &length);
    if (chars == NULL) {
        Py_DECREF(text);
        return NULL;
    }
#if LDBL_MANT_DIG >= 64
    {
        Py_ssize_t at = 0;
        int negative = 0, digits = 0, after = -1;
        uint64_t count = 0;
        if (at < length && chars[at] == '-') {
            negative = 1;
            at++;
        }
        int plain = at < length;
        for (; at < length && plain; at++) {
            char c = chars[at];
            if (c >= '0' && c <= '9') {
                if (count || c != '0') {
                    if (++digits > 19) {
                        plain = 0;
                        break;
                    }
                }
                count = count * 10 + (uint64_t)(c - '0');
                if (after >= 0) {
                    after++;
                }
            } else if (c == '.' && after < 0) {
                after = 0;
            } else {
                plain = 0;
            }
        }
        if (plain && after <= 27) {
            int places = after < 0 ? 0 : after;
            long double quotient = (long double)count / pow10l_exact[places];
            double result = (double)quotient;
            int exact = (long double)result == quotient;
            if (!exact) {
                double other = nextafter(result, quotient > (long double)result ? INFINITY : -INFINITY);
                exact = (quotient - (long double)result) != ((long double)other - quotient);  /* not a midpoint */
            }
            if (exact) {
                Py_DECREF(text);
                return PyFloat_FromDouble(negative ? -result : result);
            }
        }
    }
#endif
    if (memchr(chars, 'n', (size_t)length) != NULL || memchr(chars, 'N', (size_t)length) != NULL) {
        Py_DECREF(text);
        return PyNumber_Float(value);  /* NaN, sNaN, Infinity: float()'s own answer or error */
    }
    PyObject *parsed = PyFloat_FromString(text);
    Py_DECREF(text);
    return parsed;
}

static PyMethodDef kernel_methods[] = {
    {"first_hit", (PyCFunction)(void (*)(void))first_hit, METH_FASTCALL,
     "first_hit(high, low, first, last, rise_ge, rise_gt, fall_le, fall_lt): the first bar reaching a level, or None"},
    {"equity_scan", (PyCFunction)(void (*)(void))equity_scan, METH_FASTCALL,
     "equity_scan(closes, qtys, costs, balance, first, last, peak, keep, daily): (breach, top, top_bar, end_value)"},
    {"decimal_float", decimal_float, METH_O, "decimal_float(value): float(value) for a Decimal, exactly"},
    {"write_row", (PyCFunction)(void (*)(void))write_row, METH_FASTCALL,
     "write_row(bars, balances, qty, signed_cost, row, bar, balance, qtys, costs): one row of the equity track"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "perpbot._kernels", "The backtest loop's bar-level work, compiled.", -1, kernel_methods,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
#if LDBL_MANT_DIG >= 64
    pow10l_exact[0] = 1.0L;
    for (int k = 1; k < 28; k++) {
        pow10l_exact[k] = pow10l_exact[k - 1] * 10.0L;  /* exact: 5**27 < 2**64 */
    }
#endif
    return PyModule_Create(&kernels_module);
}
