// The `study` command: the library command line with the built-in studies and benchmarks.
import SimStudy

StudyCommandLine.main(studies: Catalogue.studies, benchmarks: Benchmarks.families)
