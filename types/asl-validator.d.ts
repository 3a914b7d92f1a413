declare module 'asl-validator' {
  interface AslValidatorOptions {
    readonly checkPaths?: boolean;
    readonly checkArn?: boolean;
  }
  interface AslValidationError {
    readonly 'Error code': string;
    readonly Message: string;
  }
  function aslValidator(definition: unknown, options?: AslValidatorOptions): { isValid: boolean; errors: AslValidationError[]; errorsText: (separator?: string) => string };
  export default aslValidator;
}
