/*
 * Copyright 2026 The Pcq authors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

/* What libFuzzer calls (see tests/fuzz/README.md). */
int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

/* A warning or critical from the code under test is a finding too:
 * abort, so that libFuzzer keeps the input. */
#define PCQ_FUZZ_INIT() \
  int \
  LLVMFuzzerInitialize (int    *argc, \
                        char ***argv) \
  { \
    g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING); \
    return 0; \
  }
