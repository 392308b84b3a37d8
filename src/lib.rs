//! pipecut facade
