using V2Meow.Runtime.Backends;
using V2Meow.Runtime.Backends.Ilgpu;

namespace V2Meow.Tests.Backends;

public class BackendSelectionTests
{
    [Theory]
    [InlineData("auto", DeviceKind.Auto)]
    [InlineData("cuda", DeviceKind.Cuda)]
    [InlineData("opencl", DeviceKind.OpenCL)]
    [InlineData("ilgpu-cpu", DeviceKind.IlgpuCpu)]
    [InlineData(" CPU ", DeviceKind.Cpu)]
    public void ParsesEveryDeviceName(string text, DeviceKind expected) => Assert.Equal(expected, DeviceKinds.Parse(text));

    [Fact]
    public void UnknownDeviceNameIsADeviceError()
    {
        var e = Assert.Throws<DeviceException>(() => DeviceKinds.Parse("tpu"));
        Assert.Contains("'tpu'", e.Message);
    }

    [Fact]
    public void OptionBeatsEnvironmentBeatsAuto()
    {
        Func<string, string?> env = name => name == DeviceKinds.EnvironmentVariable ? "ilgpu-cpu" : null;
        Assert.Equal(DeviceKind.Cpu, DeviceKinds.Resolve("cpu", env));
        Assert.Equal(DeviceKind.IlgpuCpu, DeviceKinds.Resolve(null, env));
        Assert.Equal(DeviceKind.Auto, DeviceKinds.Resolve(null, _ => null));
    }

    [Theory]
    [InlineData(DeviceKind.Cpu)]
    [InlineData(DeviceKind.IlgpuCpu)]
    public void OpensTheRequestedBackend(DeviceKind kind)
    {
        using var backend = DeviceCatalog.Open(kind);
        Assert.Equal(kind, backend.Kind);
        Assert.Equal(kind, backend.Device.Kind);
    }

    [Fact]
    public void IlgpuCpuGroupSizesComeFromTheAccelerator()
    {
        using var backend = (IlgpuBackend)DeviceCatalog.Open(DeviceKind.IlgpuCpu);
        Assert.True(backend.Geometry.GroupSize <= backend.Device.MaxThreadsPerGroup);
        Assert.True(backend.Geometry.Tile * backend.Geometry.Tile <= backend.Device.MaxThreadsPerGroup);
        Assert.False(backend.Geometry.UseWarpShuffles);
    }

    [Fact]
    public void AutoWithoutAGpuFallsBackToAUsableBackend()
    {
        using var backend = DeviceCatalog.Open(DeviceKind.Auto);
        Assert.Contains(backend.Kind, new[] { DeviceKind.Cuda, DeviceKind.OpenCL, DeviceKind.Cpu });
    }

    [Fact]
    public void ListingIncludesTheCpuBackend()
    {
        var devices = DeviceCatalog.List();
        Assert.Equal(DeviceKind.Cpu, devices[0].Kind);
        Assert.Contains(devices, d => d.Kind == DeviceKind.IlgpuCpu);
    }
}
