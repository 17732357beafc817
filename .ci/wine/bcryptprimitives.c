/* bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Rust's std on Windows imports
   ProcessPrng from it for random numbers (HashMap keys). Real Windows 10 and later have it.
   Built by .ci/platforms with mingw-w64 beside nf.exe; forwards to RtlGenRandom
   (SystemFunction036 in advapi32), which Wine has. Never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
