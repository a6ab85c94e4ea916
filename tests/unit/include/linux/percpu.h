/* SPDX-License-Identifier: GPL-2.0 */
/* stand-in: see kstub.h */
#include "../kstub.h"
