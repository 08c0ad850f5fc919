export default 'late value';
export const named = 42;
