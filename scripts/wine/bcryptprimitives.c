/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go 1.22+ Windows
 * binaries take their random bytes from its ProcessPrng at start-up and
 * stop with "bcryptprimitives.dll not found" without it. This one exports
 * ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036).
 * For the Windows smoke test only (scripts/windows-smoke.sh builds it).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
