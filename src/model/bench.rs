//! Throughput figures for `cardioppg bench model`: batched inference and training steps
//! (forward + backward + Adam) in cycles per second, on the chosen device.

use std::fmt::Write;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;

use super::data::CycleSet;
use super::network::{Network, Variant};
use super::train::{Batch, TrainConfig, loss};
use crate::dsp::cycles::CYCLE_LEN;

/// A set of smooth synthetic cycles (throughput does not depend on the values).
fn synthetic_set(n: usize) -> CycleSet {
    let mut set = CycleSet::default();
    for i in 0..n {
        for t in 0..CYCLE_LEN {
            let x = t as f32 / CYCLE_LEN as f32;
            set.ppg.push((std::f32::consts::PI * x).sin().powi(2 + (i % 3) as i32));
            set.ecg.push((-((x - 0.1) * 40.0).powi(2)).exp());
        }
        set.class.push((i % 2) as i32);
        set.ecg_weight.push(1.0);
        set.record.push(0);
        set.beat.push(i as u32);
    }
    set
}

pub fn bench_model(device: &Device, device_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "device: {device_name}");
    for variant in [Variant::Full, Variant::Lightweight] {
        let set = synthetic_set(512);
        let net = Network::new(variant, 2, device);
        let _ = writeln!(out, "{variant:?}: {} parameters", net.num_params());
        for batch_size in [64, 256] {
            let idx: Vec<usize> = (0..batch_size).collect();
            let batch = Batch::new(&set, &idx, device);
            let _ = net.forward(batch.ppg.clone()).ecg.into_data(); // warm-up
            let reps = 4;
            let t = Instant::now();
            for _ in 0..reps {
                let _ = net.forward(batch.ppg.clone()).logits.into_data();
            }
            let secs = t.elapsed().as_secs_f64();
            let _ = writeln!(out, "  inference, batch {batch_size:>3}: {:>8.0} cycles/s", (reps * batch_size) as f64 / secs);
        }
        let ad = device.clone().autodiff();
        let cfg = TrainConfig::paper(variant);
        for batch_size in [10, 32, 64] {
            let mut net = Network::new(variant, 2, &ad);
            let mut optim = AdamConfig::new().init();
            let steps = (256 / batch_size).max(3);
            let mut timed = 0.0;
            for step in 0..=steps {
                let idx: Vec<usize> = (0..batch_size).map(|i| (step * batch_size + i) % set.len()).collect();
                let t = Instant::now();
                let batch = Batch::new(&set, &idx, &ad);
                let terms = loss(&net.forward(batch.ppg.clone()), &batch, &cfg);
                let total = terms.total.clone().into_scalar::<f32>(); // waits for the step on a GPU queue
                let grads = GradientsParams::from_grads(terms.total.backward(), &net);
                net = optim.step(1e-4, net, grads);
                std::hint::black_box(total);
                if step > 0 {
                    timed += t.elapsed().as_secs_f64();
                }
            }
            let _ = writeln!(out, "  training,  batch {batch_size:>3}: {:>8.0} cycles/s", (steps * batch_size) as f64 / timed);
        }
    }
    out
}
