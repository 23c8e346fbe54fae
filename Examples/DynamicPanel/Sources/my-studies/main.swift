import SimStudy
import DynamicPanel
StudyCommandLine.main(studies: [nickellStudy])
