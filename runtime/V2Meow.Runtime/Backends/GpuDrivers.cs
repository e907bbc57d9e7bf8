using System.Runtime.InteropServices;

namespace V2Meow.Runtime.Backends;

/// <summary>
/// Whether a GPU driver ILGPU could use may be installed, asked without ILGPU: creating an ILGPU context to
/// find out takes about 0.3 s on a 2-core machine, a tenth of a one-shot <c>v2meow generate</c> on a short
/// clip, and on most machines without a GPU the answer is already in the file system. Only a sure "no" is
/// acted on: anything else goes to ILGPU's own probe.
/// </summary>
internal static class GpuDrivers
{
    /// <summary>
    /// False only on Linux when CUDA's driver library does not load and OpenCL has no installable client
    /// driver (no loader, or a loader with no vendor file in /etc/OpenCL/vendors and no OCL_ICD_VENDORS).
    /// </summary>
    public static bool MayBePresent()
    {
        if (!OperatingSystem.IsLinux()) return true;
        bool cuda = Loads("libcuda.so.1") || Loads("libcuda.so");
        bool openCl = (Loads("libOpenCL.so.1") || Loads("libOpenCL.so")) && OpenClVendorsListed();
        return cuda || openCl;
    }

    static bool OpenClVendorsListed()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OCL_ICD_VENDORS"))) return true;
        const string vendors = "/etc/OpenCL/vendors";
        return Directory.Exists(vendors) && Directory.EnumerateFiles(vendors, "*.icd").Any();
    }

    static bool Loads(string library)
    {
        if (!NativeLibrary.TryLoad(library, out var handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }
}
