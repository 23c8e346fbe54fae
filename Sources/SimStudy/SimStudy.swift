// `import SimStudy` gives a study author everything: the study model, engine, measures and reports
// (ReplicateEngine), the result store, the run orchestration (StudyRun), the command line as a
// library (StudyCommandLine), the DGPs, the estimators, linear algebra, random streams, numerical
// methods and the built-in studies (Catalogue). The modules stay importable on their own.
@_exported import DataGeneration
@_exported import Estimators
@_exported import LinearAlgebra
@_exported import NumericalMethods
@_exported import RandomStreams
@_exported import ReplicateEngine
@_exported import ResultStore
@_exported import Sampling
@_exported import StudyCommandLine
@_exported import StudyRunner
@_exported import Studies
