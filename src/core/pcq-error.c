/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "pcq-error.h"

G_DEFINE_QUARK (pcq-error-quark, pcq_error)
