package dev.shears.core.calibration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import dev.shears.api.InvalidConfigurationException;
import dev.shears.core.ShearsException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** --device: CUDA when it loads, CPU otherwise, and a clear failure when CUDA was demanded. */
class DeviceTest {
  private final List<String> notes = new ArrayList<>();
  private static final Device.CudaProbe WORKS = id -> {};
  private static final Device.CudaProbe FAILS = id -> {
    throw new OrtException("libcudart.so.12: cannot open shared object file");
  };

  @Test
  void autoFallsBackToCpuWithoutTheCudaProvider() {
    Device d = Device.select("auto", EnumSet.of(OrtProvider.CPU), WORKS, notes::add);
    assertEquals(Device.CPU, d);
    assertTrue(notes.get(0).startsWith("device: cpu (this ONNX Runtime build has no CUDA provider"), notes.get(0));
  }

  @Test
  void autoFallsBackToCpuWhenCudaDoesNotLoad() {
    Device d = Device.select("auto", EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), FAILS, notes::add);
    assertEquals(Device.CPU, d);
    assertTrue(notes.get(0).contains("the CUDA provider did not load: libcudart"), notes.get(0));
  }

  @Test
  void autoTakesCudaWhenItLoads() {
    Device d = Device.select("auto", EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), WORKS, notes::add);
    assertEquals(new Device(true, 0), d);
    assertEquals("device: cuda:0", notes.get(0));
  }

  @Test
  void cudaDemandedFailsClearly() {
    ShearsException e = assertThrows(ShearsException.class,
        () -> Device.select("cuda:1", EnumSet.of(OrtProvider.CPU), WORKS, notes::add));
    assertTrue(e.getMessage().startsWith("--device cuda:1: CUDA is not available"), e.getMessage());
    ShearsException e2 = assertThrows(ShearsException.class,
        () -> Device.select("cuda", EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), FAILS, notes::add));
    assertTrue(e2.getMessage().contains("did not load"), e2.getMessage());
  }

  @Test
  void cudaNumberIsParsed() {
    assertEquals(new Device(true, 3),
        Device.select("cuda:3", EnumSet.of(OrtProvider.CUDA), WORKS, notes::add));
    assertThrows(InvalidConfigurationException.class,
        () -> Device.select("gpu", EnumSet.of(OrtProvider.CUDA), WORKS, notes::add));
  }

  @Test
  void thisBuildRunsOnCpuUnderAuto() {
    // the default (CPU) artifact has no CUDA provider: auto must pick the CPU, and say so
    Device d = Device.select("auto", OrtEnvironment.getAvailableProviders(), Device.CudaProbe.onnxRuntime(),
        notes::add);
    if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
      assertEquals(Device.CPU, d);
    }
    assertEquals(1, notes.size());
  }
}
