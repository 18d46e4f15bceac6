// Standard test functions over the Trainer's space (minimised), for the sampler tests. The Python
// reference (optuna_reference.py) computes `quadraticObjective` the same way.
import type { ParamValue } from '../space.ts';
import type { NumpyRandomState } from '../rng.ts';

function num(params: Readonly<Record<string, ParamValue>>, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`${name} missing`);
  return value;
}

/**
 * A shifted quadratic in log10 learning rate (optimum 10^-4.5), with discrete epochs and batch
 * size and continuous weight decay, each term present when the space has the parameter.
 */
export function quadraticObjective(params: Readonly<Record<string, ParamValue>>): number {
  let value = (Math.log10(num(params, 'learning_rate')) + 4.5) ** 2;
  if ('num_train_epochs' in params) value += 0.1 * (num(params, 'num_train_epochs') - 4) ** 2;
  if ('per_device_train_batch_size' in params) {
    value += 0.05 * (Math.log2(num(params, 'per_device_train_batch_size')) - 4) ** 2;
  }
  if ('weight_decay' in params) value += (num(params, 'weight_decay') - 0.1) ** 2;
  return value;
}

/**
 * A narrow optimum in log learning rate under evaluation noise, as validation losses are: the
 * noise is drawn per evaluation from `noise`, so repeated parameters score differently.
 */
export function noisyObjective(
  params: Readonly<Record<string, ParamValue>>,
  noise: NumpyRandomState,
): number {
  const lr = num(params, 'learning_rate');
  const epochs = num(params, 'num_train_epochs');
  const distance = Math.log10(lr) + 4.2;
  const bowl = 1 - Math.exp(-(distance * distance) / 0.08) + 0.04 * (epochs - 3) ** 2;
  return bowl + 0.05 * (noise.random() - 0.5);
}
