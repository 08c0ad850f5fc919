export const NAME = 'math';
export function double(x) {
  return x * 2;
}
